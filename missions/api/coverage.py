"""Coverage of the active zones for a month (ARS staff): target, requested, confirmed and completed days, and the
consultations attested on the completed days."""

from datetime import date
from typing import TypedDict

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.authority import ars_zones
from api.permissions import IsArsStaff
from missions.queries import coverage


class CoverageQuerySerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",  # year 0000 does not exist (it was a 500)
        required=False,
        help_text="Mois au format AAAA-MM (par défaut : le mois en cours).",
        error_messages={"invalid": "Mois attendu au format AAAA-MM, par exemple 2025-10."},
    )

    def month_start(self) -> date:
        value = self.validated_data.get("month")
        if not value:
            return timezone.localdate().replace(day=1)
        year, month = value.split("-")
        return date(int(year), int(month), 1)


class DecimalOptions(TypedDict):
    """The keyword arguments of the read-only day counts (typed, so that `**` unpacks them checked)."""

    max_digits: int
    decimal_places: int
    read_only: bool


DAYS: DecimalOptions = {"max_digits": 8, "decimal_places": 1, "read_only": True}


class CoverageRowSerializer(serializers.Serializer):
    zone = serializers.IntegerField(source="zone.pk", read_only=True)
    zone_name = serializers.CharField(source="zone.name", read_only=True)
    month = serializers.SerializerMethodField(help_text="AAAA-MM")
    target_days = serializers.DecimalField(**DAYS)
    requested_days = serializers.DecimalField(**DAYS)
    confirmed_days = serializers.DecimalField(**DAYS)
    completed_days = serializers.DecimalField(**DAYS)
    consultations = serializers.IntegerField(
        read_only=True, help_text="Consultations attestées par les lieux d'accueil sur les journées effectuées du mois."
    )

    def get_month(self, row) -> str:
        return f"{row.month:%Y-%m}"


# Coverage of the active zones for one month: target, requested, confirmed and completed doctor-days.
class CoverageViewSet(viewsets.GenericViewSet):
    permission_classes = [IsArsStaff]
    serializer_class = CoverageRowSerializer
    filter_backends = []

    def get_queryset(self) -> QuerySet:
        """The active zones of the agent's region(s) (superusers: every region)."""
        return ars_zones(self.request.user).filter(active=True).order_by("department__code", "name", "pk")

    @extend_schema(
        summary="Couverture des zones pour un mois (équipe ARS)",
        description="Pour chaque zone active : objectif, jours-médecin demandés, confirmés et effectués du mois, "
        "et consultations attestées.",
        parameters=[CoverageQuerySerializer],
    )
    def list(self, request: Request) -> Response:
        query = CoverageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zones = self.paginate_queryset(self.get_queryset())
        assert zones is not None, "the API's default pagination class pages every list"
        rows = coverage([query.month_start()], zones=self.get_queryset().filter(pk__in=[zone.pk for zone in zones]))
        return self.get_paginated_response(CoverageRowSerializer(rows, many=True).data)
