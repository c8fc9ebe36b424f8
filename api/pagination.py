"""Every list of the API is paged: {count, next, previous, results}."""

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    page_size_query_description = "Nombre de résultats par page (200 au plus)."
    page_query_description = "Numéro de la page."
    max_page_size = 200
