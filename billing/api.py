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
from django.http import FileResponse
from django.urls import reverse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.audit import record_bulk_read
from accounts.authority import cpam_ids, is_ars_staff, visible
from accounts.person import signed_in
from api.errors import conflict
from api.filters import IdFilter
from api.permissions import IsArsStaff
from billing import services
from billing.exports import background
from billing.exports.responses import XLSX_TYPE, csv_response
from billing.lines import FIELDS as LINE_FIELDS
from billing.lines import READING_ORDER
from billing.models import Statement, StatementExport, StatementLine
from billing.queries import statement_doctor_totals, statements_visible_to
from core.errors import Code, RuleViolation

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


class StatementExportSerializer(serializers.ModelSerializer):
    """La préparation, en arrière-plan, du fichier XLSX ou PDF d'un relevé : son état, sa progression, puis le
    fichier (`file`) quand il est prêt. Le fichier est gardé tant que le relevé ne change pas."""

    percent = serializers.IntegerField(read_only=True, help_text="Progression, de 0 à 100.")
    current = serializers.SerializerMethodField(
        help_text="Le fichier montre-t-il le relevé tel qu'il est ? Sinon, redemandez le fichier au relevé."
    )
    url = serializers.SerializerMethodField(help_text="Adresse de cette préparation (à interroger jusqu'à `ready`).")
    file = serializers.SerializerMethodField(help_text="Adresse du fichier, quand il est prêt.")

    class Meta:
        model = StatementExport
        fields = [
            "id",
            "statement",
            "format",
            "status",
            "rows_done",
            "rows_total",
            "percent",
            "error",
            "size",
            "requested_at",
            "finished_at",
            "current",
            "url",
            "file",
        ]
        read_only_fields = fields

    def get_current(self, export: StatementExport) -> bool:
        return background.is_current(export)

    def _absolute(self, link: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(link) if request else link

    def get_url(self, export: StatementExport) -> str:
        return self._absolute(reverse("api:statement-export-detail", args=[export.pk]))

    def get_file(self, export: StatementExport) -> str | None:
        if export.status != StatementExport.Status.READY:
            return None
        return self._absolute(reverse("api:statement-export-file", args=[export.pk]))


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


def _prepared_file_schema(media_type: str, what: str):
    return extend_schema(
        summary=f"Préparer puis télécharger le relevé en {what}",
        description=(
            f"Le fichier {what} d'un grand relevé se prépare en arrière-plan. Si le fichier du relevé tel qu'il est "
            "est prêt, la réponse est le fichier (200). Sinon la préparation est lancée (ou rejointe : deux "
            "demandes n'en lancent qu'une) et la réponse est 202, avec l'état de la préparation et son adresse "
            "(en-tête `Location`) : interrogez-la (ou redemandez cette adresse) jusqu'à l'état `ready`, puis "
            "téléchargez `file`. Le fichier est gardé tant que le relevé ne change pas."
        ),
        responses={
            (200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=f"Le fichier {what}, prêt."),
            (202, "application/json"): OpenApiResponse(
                StatementExportSerializer, description="Préparation en cours : son état et son adresse."
            ),
        },
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
        if self.action in ("xlsx", "pdf"):
            qs = qs.select_related("cpam__department__region")
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

    @_prepared_file_schema(XLSX_TYPE, "XLSX")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer])
    def xlsx(self, request: Request, pk: str | None = None):
        return self._prepared(request, StatementExport.Format.XLSX)

    @_prepared_file_schema("application/pdf", "PDF")
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, PdfRenderer])
    def pdf(self, request: Request, pk: str | None = None):
        return self._prepared(request, StatementExport.Format.PDF)

    def _prepared(self, request: Request, fmt: str):
        """The file if it is ready for the statement as it stands; otherwise 202 and where to follow the job."""
        statement = self.get_object()
        export = background.request_export(statement, fmt, by=signed_in(request))
        export.refresh_from_db()  # without a broker (embedded mode) the job ran as the request committed
        if export.status == StatementExport.Status.READY:
            return _file_response(request, export, statement)
        data = StatementExportSerializer(export, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"], "Retry-After": "2"})

    def _export(self, request: Request, render_file):
        statement = self.get_object()
        response = render_file(statement)
        record_bulk_read(request, object_type="billing.statementline", count=statement.line_count)
        return response


def _file_response(request: Request, export: StatementExport, statement: Statement) -> FileResponse:
    response = FileResponse(
        export.file.open("rb"), as_attachment=True, filename=background.filename(statement, export.format)
    )
    record_bulk_read(request, object_type="billing.statementline", count=statement.line_count)
    return response


@extend_schema_view(retrieve=extend_schema(summary="Suivre la préparation d'un fichier XLSX ou PDF de relevé"))
class StatementExportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The jobs preparing a statement's XLSX or PDF (billing.exports.background): whoever sees the statement
    follows its jobs (accounts/authority.py), and downloads the file while it shows the statement as it stands."""

    serializer_class = StatementExportSerializer
    permission_classes = [IsCpamAgentOrArsStaff]

    def get_queryset(self) -> QuerySet:
        return visible(self.request.user, StatementExport).select_related("statement__cpam__department__region")

    @extend_schema(
        summary="Télécharger le fichier préparé",
        description="Le fichier, s'il est prêt et montre le relevé tel qu'il est ; sinon 409.",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="Le fichier."),
            409: conflict("export_not_ready", "export_outdated"),
        },
    )
    @action(detail=True, methods=["get"], renderer_classes=[JSONRenderer, XlsxRenderer, PdfRenderer])
    def file(self, request: Request, pk: str | None = None):
        export = self.get_object()
        if export.status != StatementExport.Status.READY:
            raise RuleViolation(Code.EXPORT_NOT_READY, "Le fichier n'est pas encore prêt : réessayez dans un instant.")
        if not background.is_current(export):
            raise RuleViolation(
                Code.EXPORT_OUTDATED, "Le relevé a changé depuis la préparation de ce fichier : redemandez le fichier."
            )
        return _file_response(request, export, export.statement)
