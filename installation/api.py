"""The doctors' zonage in the API: each commune's class in the arrêté in force on a date (every signed-in person;
the zonage is published data)."""

from datetime import date

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from accounts.authority import visible
from installation.models import CommuneZonage, ZonageDecree
from installation.queries import decree_in_force


class ZonageQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Date (AAAA-MM-JJ) ; par défaut : aujourd'hui.")
    commune = serializers.RegexField(
        r"^(\d{5}|2[AB]\d{3})$",
        required=False,
        help_text="Code INSEE de la commune.",
        error_messages={"invalid": "Code INSEE attendu : 5 caractères, par exemple 03185."},
    )
    department = serializers.RegexField(
        r"^(\d{2,3}|2[AB])$",
        required=False,
        help_text="Code du département.",
        error_messages={"invalid": "Code de département attendu, par exemple 03."},
    )


class CommuneZonageSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.insee_code", read_only=True, help_text="Code INSEE.")
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    decree = serializers.CharField(source="decree.reference", read_only=True, help_text="Référence de l'arrêté.")
    valid_from = serializers.DateField(source="decree.valid_from", read_only=True)
    valid_until = serializers.DateField(source="decree.valid_until", read_only=True, allow_null=True)

    class Meta:
        model = CommuneZonage
        fields = [
            "commune",
            "commune_name",
            "kind",
            "kind_label",
            "qpv",
            "territory",
            "decree",
            "valid_from",
            "valid_until",
        ]


@extend_schema_view(
    list=extend_schema(
        summary="Zonage médecins des communes",
        description=(
            "Le classement de chaque commune (ZIP, ZAC, ZV, hors zonage ; lignes des quartiers prioritaires à part) "
            "dans l'arrêté de l'ARS en vigueur à la date demandée. Un nouvel arrêté remplace l'ancien à sa date."
        ),
        parameters=[ZonageQuerySerializer],
    ),
)
class ZonageViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CommuneZonageSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no request to read
            return CommuneZonage.objects.none()
        query = ZonageQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        on: date = query.validated_data.get("date") or timezone.localdate()
        regions = ZonageDecree.objects.values_list("region_id", flat=True).distinct()
        in_force = [d.pk for d in (decree_in_force(region, on) for region in set(regions)) if d is not None]
        lines = visible(self.request.user, CommuneZonage).filter(decree_id__in=in_force)
        if "commune" in query.validated_data:
            lines = lines.filter(commune__insee_code=query.validated_data["commune"])
        if "department" in query.validated_data:
            lines = lines.filter(commune__department__code=query.validated_data["department"])
        return lines.select_related("commune", "decree").order_by("commune__insee_code", "qpv", "pk")
