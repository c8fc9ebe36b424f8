from django.apps import AppConfig


class ApiConfig(AppConfig):
    """The API's plumbing (authentication, errors, permissions, throttles, idempotency, schema) and its routes."""

    name = "api"
    verbose_name = "API"
