"""The CPAM space: the statements of the agent's CPAM, their downloads, « marquer payé », and the doctors
awaiting a dedicated billing number. ARS staff may enter it too, for the CPAMs of their region(s) only. Who sees
what is accounts/authority.py: another CPAM's (or region's) statement or doctor is a 404; a person with neither
role gets a 403. Exports and the list of doctors awaiting a number write one row to the access log."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.audit import record_bulk_read
from accounts.authority import cpam_ids, is_ars_staff, visible
from accounts.person import signed_in
from billing import services
from billing.exports import background
from billing.exports.responses import csv_response
from billing.forms import BillingNumberForm
from billing.lines import READING_ORDER
from billing.models import StatementExport, month_label
from billing.queries import (
    can_record_billing_number,
    cpams_of,
    doctors_awaiting_billing_number,
    statement_doctor_totals,
    statements_visible_to,
)
from billing.services import can_mark_paid
from core.errors import RuleViolation
from missions.models import Doctor

STATEMENTS_PER_PAGE = 24
LINES_PER_PAGE = 100
DOCTORS_PER_PAGE = 50


def cpam_space(view: Callable) -> Callable:
    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (is_ars_staff(request.user) or cpam_ids(request.user)):
            raise PermissionDenied("L'espace CPAM est réservé aux agents des CPAM et à l'équipe de l'ARS.")
        return view(request, *args, **kwargs)

    return wrapper


@require_GET
@cpam_space
def home(request: HttpRequest) -> HttpResponse:
    statements = statements_visible_to(request.user).order_by("-month", "cpam__department__code")
    page = Paginator(statements, STATEMENTS_PER_PAGE).get_page(request.GET.get("page"))
    for statement in page:
        statement.month_label = month_label(statement.month)
    cpams = list(cpams_of(request.user)[:2])
    return render(
        request,
        "billing/home.html",
        {
            "page": page,
            "several_cpams": len(cpams) > 1,
            "cpam": cpams[0] if len(cpams) == 1 else None,
            "awaiting_count": doctors_awaiting_billing_number(request.user).count(),
        },
    )


def _visible_statement(request: HttpRequest, pk: int):
    return get_object_or_404(statements_visible_to(request.user).select_related("cpam__department__region"), pk=pk)


@require_GET
@cpam_space
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _visible_statement(request, pk)
    lines = statement.lines.order_by(*READING_ORDER)
    page = Paginator(lines, LINES_PER_PAGE).get_page(request.GET.get("page"))
    totals = statement_doctor_totals(statement)
    key = background.content_key(statement)
    exports = {e.format: e for e in StatementExport.objects.filter(statement=statement, content_key=key)}
    return render(
        request,
        "billing/statement_detail.html",
        {
            "statement": statement,
            "month_label": month_label(statement.month),
            "page": page,
            "doctor_totals": totals,
            "missing_numbers": sum(1 for t in totals if not t.billing_number),
            "files": [_file_offer(statement, fmt, exports.get(fmt)) for fmt in EXPORT_FORMATS],
            "can_mark_paid": statement.status == statement.Status.ISSUED
            and can_mark_paid(signed_in(request), statement),
        },
    )


@require_GET
@cpam_space
def statement_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, pk, csv_response)


# --- the XLSX and PDF, prepared in the background (billing.exports.background) -----------------------------------

EXPORT_FORMATS = (StatementExport.Format.XLSX, StatementExport.Format.PDF)
EXPORT_LABELS = {StatementExport.Format.XLSX: "Excel (XLSX)", StatementExport.Format.PDF: "PDF"}
IN_PROGRESS = (StatementExport.Status.PENDING, StatementExport.Status.RUNNING)


def _file_offer(statement, fmt: str, export: StatementExport | None) -> dict:
    return {"format": fmt, "label": EXPORT_LABELS[StatementExport.Format(fmt)], "export": export}


@require_GET
@cpam_space
def statement_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The file of one format: « Préparer » when nobody asked for it yet, a progress bar while it is prepared
    (updated by static/js/export-progress.js; « Actualiser » without JavaScript), « Télécharger » when ready."""
    statement = _visible_statement(request, pk)
    export = background.current_export(statement, fmt)
    return render(
        request,
        "billing/statement_export.html",
        {
            "statement": statement,
            "month_label": month_label(statement.month),
            "offer": _file_offer(statement, fmt, export),
            "export": export,
            "in_progress": export is not None and export.status in IN_PROGRESS,
        },
    )


@require_POST
@cpam_space
def statement_export_prepare(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """Start (or join) the job; a second click, or a colleague's, joins the same one."""
    statement = _visible_statement(request, pk)
    background.request_export(statement, fmt, by=signed_in(request))
    return redirect("billing:statement_export", pk=statement.pk, fmt=fmt)


@require_GET
@cpam_space
def statement_export_state(request: HttpRequest, pk: int, fmt: str) -> JsonResponse:
    """The job's progress, for the progress bar (JSON)."""
    statement = _visible_statement(request, pk)
    export = background.current_export(statement, fmt)
    if export is None:
        return JsonResponse({"status": "absent", "percent": 0, "rows_done": 0, "rows_total": statement.line_count})
    return JsonResponse(
        {
            "status": export.status,
            "status_label": export.get_status_display(),
            "percent": export.percent,
            "rows_done": export.rows_done,
            "rows_total": export.rows_total,
            "error": export.error,
            "download_url": reverse("billing:statement_export_file", args=[statement.pk, fmt])
            if export.status == StatementExport.Status.READY
            else None,
        }
    )


@require_GET
@cpam_space
def statement_export_file(request: HttpRequest, pk: int, fmt: str) -> HttpResponse | FileResponse:
    """The prepared file, if it shows the statement as it stands now; otherwise back to its page."""
    statement = _visible_statement(request, pk)
    export = background.current_export(statement, fmt)
    if export is None or export.status != StatementExport.Status.READY:
        messages.info(
            request, "Le fichier n'est pas prêt : préparez-le d'abord (ou attendez la fin de sa préparation)."
        )
        return redirect("billing:statement_export", pk=statement.pk, fmt=fmt)
    try:
        handle = export.file.open("rb")
    except FileNotFoundError:
        StatementExport.objects.filter(pk=export.pk).update(
            status=StatementExport.Status.FAILED, error="Le fichier préparé a disparu : préparez-le à nouveau."
        )
        return redirect("billing:statement_export", pk=statement.pk, fmt=fmt)
    record_bulk_read(request, object_type="billing.statementline", count=statement.line_count)
    return FileResponse(handle, as_attachment=True, filename=background.filename(statement, fmt))


def _export(request: HttpRequest, pk: int, render_file: Callable) -> HttpResponse:
    statement = _visible_statement(request, pk)
    response = render_file(statement)
    record_bulk_read(request, object_type="billing.statementline", count=statement.line_count)
    return response


@require_POST
@cpam_space
def mark_paid(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _visible_statement(request, pk)
    try:
        services.mark_statement_paid(statement, by=signed_in(request))
    except RuleViolation as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Le relevé {statement.reference} est marqué payé.")
    return redirect("billing:statement_detail", pk=statement.pk)


def _numbers_page(request: HttpRequest, bound: tuple[int, BillingNumberForm] | None = None) -> HttpResponse:
    recorded = request.GET.get("vue") == "enregistres" or request.POST.get("vue") == "enregistres"
    doctors = doctors_awaiting_billing_number(request.user, recorded=recorded)
    page = Paginator(doctors, DOCTORS_PER_PAGE).get_page(request.GET.get("page"))
    record_bulk_read(request, object_type="missions.doctor", count=len(page))
    for doctor in page:
        if bound and bound[0] == doctor.pk:
            doctor.form = bound[1]
        else:
            initial = {"billing_number": doctor.billing_number} if recorded else None
            doctor.form = BillingNumberForm(prefix=f"medecin-{doctor.pk}", initial=initial)
    context = {"page": page, "recorded": recorded}
    return render(request, "billing/billing_numbers.html", context, status=400 if bound else 200)


@require_GET
@cpam_space
def billing_numbers(request: HttpRequest) -> HttpResponse:
    return _numbers_page(request)


@require_POST
@cpam_space
def record_billing_number(request: HttpRequest, doctor_id: int) -> HttpResponse:
    doctor = get_object_or_404(visible(request.user, Doctor), pk=doctor_id)
    if not can_record_billing_number(request.user, doctor):
        raise Http404("Aucun médecin de votre CPAM ne correspond.")  # never confirm another CPAM's doctor exists
    form = BillingNumberForm(request.POST, prefix=f"medecin-{doctor.pk}")
    if form.is_valid():
        try:
            services.record_billing_number(doctor, number=form.cleaned_data["billing_number"], by=signed_in(request))
        except ValidationError as exc:
            form.add_error("billing_number", exc.message_dict.get("billing_number", exc.messages))
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Numéro dédié enregistré pour le Dr {doctor.full_name}.")
            if request.POST.get("vue") == "enregistres":
                return redirect(reverse("billing:billing_numbers") + "?vue=enregistres")
            return redirect("billing:billing_numbers")
    return _numbers_page(request, bound=(doctor.pk, form))
