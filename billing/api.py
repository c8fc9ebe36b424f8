"""API v1 of CPAM statements: parse, call a service or a query, render.

Who sees what is accounts/authority.py (`visible(user, Statement)`, through `billing.queries.statements_visible_to`;
404 otherwise, never revealing that a statement exists): ARS staff the statements of their region's CPAMs, drafts
included (superusers: every region); a CPAM agent the issued and paid statements of their own CPAM. Anyone else is
refused (403). ARS staff generate (for their region's CPAMs only) and issue; an agent of the statement's CPAM, or
the ARS, marks it paid. Every export (CSV, XLSX, PDF) writes one row to the access log (accounts.audit).
"""

import json
from datetime import date
from typing import TypedDict

from django import forms
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit import record_bulk_read
from accounts.authority import cpam_ids, is_ars_staff
from accounts.person import signed_in
from api.errors import conflict
from api.filters import IdFilter
from api.permissions import IsArsStaff
from billing import services
from billing.exports.responses import XLSX_TYPE, csv_response, pdf_response, xlsx_response
from billing.lines import FIELDS as LINE_FIELDS
from billing.lines import READING_ORDER
from billing.models import Statement, StatementLine
from billing.queries import statement_doctor_totals, statements_visible_to

MONTH_HELP = "Mois au format AAAA-MM, par exemple 2025-10."


class DecimalOptions(TypedDict):
    """The keyword arguments shared by the read-only amount fields (typed, so that `**` unpacks them checked)."""

    max_digits: int
    decimal_places: int
    read_only: bool


MONEY: DecimalOptions = {"max_digits": 12, "decimal_places": 2, "read_only": True}
DAYS: DecimalOptions = {"max_digits": 10, "decimal_places": 2, "read_only": True}


class IsCpamAgentOrArsStaff(BasePermission):
    message = "Réservé aux agents des CPAM et à l'équipe de l'ARS."

    def has_permission(self, request, view) -> bool:
        return is_ars_staff(request.user) or bool(cpam_ids(request.user))


# --- query string ----------------------------------------------------------------------------------------------


def parse_month(value: str) -> date:
    """« 2025-10 » → date(2025, 10, 1); anything else is refused with a French message."""
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError
        return date(int(year), int(month), 1)
    except ValueError as exc:
        raise forms.ValidationError(f"Mois attendu au format AAAA-MM, par exemple 2025-10 (reçu : {value}).") from exc


class MonthField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return parse_month(value) if value else None


class MonthFilter(filters.Filter):
    field_class = MonthField


class StatementFilter(filters.FilterSet):
    month = MonthFilter(field_name="month", help_text=MONTH_HELP)
    cpam = IdFilter(field_name="cpam_id", help_text="Identifiant de la CPAM.")
    status = filters.MultipleChoiceFilter(choices=Statement.Status.choices, help_text="Un ou plusieurs statuts.")

    class Meta:
        model = Statement
        fields = ["month", "cpam", "status"]


# --- serializers -----------------------------------------------------------------------------------------------


class StatementSerializer(serializers.ModelSerializer):
    """Un relevé mensuel des forfaits d'une CPAM. Montants en euros, en chaînes décimales exactes."""

    reference = serializers.CharField(read_only=True, help_text="Mois et département, par exemple 2025-10-69.")
    cpam_name = serializers.CharField(source="cpam.name", read_only=True)
    department = serializers.CharField(source="cpam.department.code", read_only=True)
    month = serializers.SerializerMethodField(help_text="AAAA-MM")
    total_days = serializers.DecimalField(**DAYS)
    total_amount = serializers.DecimalField(**MONEY)
    downloads = serializers.SerializerMethodField(help_text="Adresses des exports CSV, XLSX et PDF.")

    class Meta:
        model = Statement
        fields = [
            "id",
            "reference",
            "cpam",
            "cpam_name",
            "department",
            "month",
            "status",
            "line_count",
            "total_days",
            "total_amount",
            "generated_at",
            "issued_at",
            "paid_at",
            "downloads",
        ]
        read_only_fields = fields

    def get_month(self, statement: Statement) -> str:
        return f"{statement.month:%Y-%m}"

    def get_downloads(self, statement: Statement) -> dict[str, str]:
        request = self.context.get("request")
        links = {fmt: reverse(f"api:statement-{fmt}", args=[statement.pk]) for fmt in ("csv", "xlsx", "pdf")}
        return {fmt: request.build_absolute_uri(link) if request else link for fmt, link in links.items()}


class StatementLineSerializer(serializers.ModelSerializer):
    """Une journée facturée (`line`) ou l'annulation d'une journée d'un relevé antérieur (`reversal`)."""

    day_fraction = serializers.DecimalField(max_digits=3, decimal_places=2, read_only=True)
    rate = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = StatementLine
        fields = list(LINE_FIELDS)
        read_only_fields = fields


class DoctorTotalSerializer(serializers.Serializer):
    rpps = serializers.CharField()
    last_name = serializers.CharField()
    first_name = serializers.CharField()
    billing_number = serializers.CharField()
    line_count = serializers.IntegerField()
    days = serializers.DecimalField(**DAYS)
    amount = serializers.DecimalField(**MONEY)


class StatementDetailSerializer(StatementSerializer):
    """Un relevé avec ses totaux par médecin et toutes ses lignes."""

    doctor_totals = serializers.SerializerMethodField()
    lines = StatementLineSerializer(many=True, read_only=True, source="ordered_lines")

    class Meta(StatementSerializer.Meta):
        fields = [*StatementSerializer.Meta.fields, "doctor_totals", "lines"]
        read_only_fields = fields

    @extend_schema_field(DoctorTotalSerializer(many=True))
    def get_doctor_totals(self, statement: Statement) -> list[dict]:
        # drf-stubs type `Serializer(many=True)` as the Serializer itself; it is a ListSerializer (data: ReturnList).
        return DoctorTotalSerializer(statement_doctor_totals(statement), many=True).data  # type: ignore[return-value]


class GenerateSerializer(serializers.Serializer):
    month = serializers.RegexField(
        r"^[1-9]\d{3}-(0[1-9]|1[0-2])$",  # year 0000 does not exist (it was a 500)
        help_text=MONTH_HELP,
        error_messages={"invalid": "Mois attendu au format AAAA-MM, par exemple 2025-10."},
    )


class GenerationResultSerializer(serializers.Serializer):
    statements = StatementSerializer(many=True, help_text="Brouillons créés ou rafraîchis.")
    already_issued = StatementSerializer(many=True, help_text="Relevés déjà émis pour ce mois, laissés tels quels.")


# --- file renderers --------------------------------------------------------------------------------------------


class _FileRenderer(BaseRenderer):
    """Lets a client ask for the file's type in `Accept`: the action returns the file itself, so only an error
    body (a dict) ever reaches this renderer, and it stays JSON."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


class CsvRenderer(_FileRenderer):
    media_type, format = "text/csv", "csv"


class XlsxRenderer(_FileRenderer):
    media_type, format = XLSX_TYPE, "xlsx"


class PdfRenderer(_FileRenderer):
    media_type, format = "application/pdf", "pdf"


def _file_schema(media_type: str, what: str):
    return extend_schema(
        summary=f"Télécharger le relevé en {what}",
        responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=f"Le fichier {what}.")},
    )


# --- viewset ---------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="Lister les relevés des CPAM"),
    retrieve=extend_schema(summary="Voir un relevé, ses totaux par médecin et ses lignes"),
)
class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StatementSerializer
    filterset_class = StatementFilter

    def get_queryset(self) -> QuerySet:
        qs = statements_visible_to(self.request.user).order_by("-month", "cpam__department__code", "pk")
        if self.action == "retrieve":
            lines = StatementLine.objects.order_by(*READING_ORDER)
            qs = qs.prefetch_related(Prefetch("lines", queryset=lines, to_attr="ordered_lines"))
        return qs

    def get_serializer_class(self):
        return StatementDetailSerializer if self.action == "retrieve" else StatementSerializer

    def get_permissions(self):
        if self.action in ("generate", "issue"):
            return [IsArsStaff()]
        return [IsCpamAgentOrArsStaff()]

    @extend_schema(
        summary="Générer les relevés d'un mois (équipe ARS)",
        description=(
            "Pour chaque CPAM qui a quelque chose à payer : crée ou rafraîchit le brouillon du mois (journées "
            "attestées non encore facturées jusqu'à la fin du mois, annulations des corrections). Idempotent. "
            "Les relevés déjà émis ne sont pas touchés."
        ),
        request=GenerateSerializer,
        responses={200: GenerationResultSerializer, 409: conflict("month_in_future", "no_flat_rate")},
    )
    @action(detail=False, methods=["post"])
    def generate(self, request: Request) -> Response:
        data = GenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.generate_statements(parse_month(data.validated_data["month"]), by=signed_in(request))
        context = self.get_serializer_context()
        return Response(
            {
                "statements": StatementSerializer(result.statements, many=True, context=context).data,
                "already_issued": StatementSerializer(result.already_issued, many=True, context=context).data,
            }
        )

    @extend_schema(
        summary="Émettre un relevé (équipe ARS)",
        description="Le relevé ne changera plus ; sa CPAM est prévenue par e-mail.",
        request=None,
        responses={200: StatementSerializer, 409: conflict("invalid_transition", "month_not_over")},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request: Request, pk: str | None = None) -> Response:
        statement = services.issue_statement(self.get_object(), by=signed_in(request))
        return Response(StatementSerializer(statement, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Marquer un relevé payé (agent de sa CPAM)",
        request=None,
        responses={200: StatementSerializer, 409: conflict("invalid_transition")},
    )
    @action(detail=True, methods=["post"], url_path="mark-paid", url_name="mark-paid")
    def mark_paid(self, request: Request, pk: str | None = None) -> Response:
        statement = services.mark_statement_paid(self.get_object(), by=signed_in(request))
        return Response(StatementSerializer(statement, context=self.get_serializer_context()).data)

    @_file_schema("text/csv", "CSV (séparateur « ; », UTF-8 avec BOM, virgule décimale)")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, CsvRenderer])
    def csv(self, request: Request, pk: str | None = None):
        return self._export(request, csv_response)

    @_file_schema(XLSX_TYPE, "XLSX")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer])
    def xlsx(self, request: Request, pk: str | None = None):
        return self._export(request, xlsx_response)

    @_file_schema("application/pdf", "PDF")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request: Request, pk: str | None = None):
        return self._export(request, pdf_response)

    def _export(self, request: Request, render_file):
        statement = self.get_object()
        response = render_file(statement)
        record_bulk_read(request, object_type="billing.statementline", count=statement.line_count)
        return response
