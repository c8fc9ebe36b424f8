"""Query-string filters of the API lists (django-filter). `date_after` / `date_before` are inclusive."""

from django.db.models import QuerySet
from django_filters import rest_framework as filters

from api.filters import IdFilter
from missions.models import Availability, Booking, Doctor
from missions.queries import bookable_now
from sites.models import Slot


class SlotFilter(filters.FilterSet):
    date = filters.DateFromToRangeFilter(help_text="Dates comprises entre date_after et date_before (incluses).")
    # By identifier, without reading the zone or the site first (an unknown one gives an empty list).
    zone = IdFilter(field_name="zone_id", help_text="Identifiant de la zone.")
    site = IdFilter(field_name="site_id", help_text="Identifiant du lieu d'accueil.")
    available = filters.BooleanFilter(
        method="filter_available",
        help_text="true : seulement les créneaux réservables (ouverts, à venir, avec une place libre) ; "
        "false : seulement les autres.",
    )

    class Meta:
        model = Slot
        fields = ["zone", "site", "period", "status", "date", "available"]

    def filter_available(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return bookable_now(queryset, bookable=value)


class BookingFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Booking.Status.choices, help_text="Un ou plusieurs statuts.")
    date = filters.DateFromToRangeFilter(help_text="Dates comprises entre date_after et date_before (incluses).")
    site = IdFilter(field_name="slot__site_id", help_text="Identifiant du lieu d'accueil.")

    class Meta:
        model = Booking
        fields = ["status", "date", "zone", "site", "doctor"]


class DoctorFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(choices=Doctor.Status.choices, help_text="Un ou plusieurs statuts.")
    zone = IdFilter(field_name="zones", help_text="Médecins qui couvrent cette zone.")

    class Meta:
        model = Doctor
        fields = ["status", "zone"]


class AvailabilityFilter(filters.FilterSet):
    date = filters.DateFromToRangeFilter(help_text="Dates comprises entre date_after et date_before (incluses).")

    class Meta:
        model = Availability
        fields = ["date"]
