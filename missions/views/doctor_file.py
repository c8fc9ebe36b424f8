"""The volunteer's file: the doctor's own page (« Mon dossier ») and the CDOM's one-step answer page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from dsfr.forms import DsfrBaseForm

from accounts.person import signed_in
from core.errors import RuleViolation
from missions import doctor_file
from missions.file_forms import AddZoneForm, CdomDecisionForm, DetailsForm, InsuranceForm
from missions.forms import apply_service_errors
from missions.models import Doctor
from missions.views.access import doctor_space

SAVED = {
    "details": "Votre dossier est mis à jour.",
    "insurance": "Votre assurance RCP est enregistrée.",
    "zone": "La zone est ajoutée à celles que vous couvrez.",
    "card": "C'est noté : votre nouvelle carte CPS est reçue.",
}


@doctor_space
def my_file(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    """« Mon dossier »: the file's steps with their dates, and the forms that change it. Each form posts its name in
    `form`; the others are shown as they were."""
    by = signed_in(request)
    posted = request.POST.get("form") if request.method == "POST" else None
    details = DetailsForm(
        request.POST if posted == "details" else None,
        initial={
            "phone": doctor.phone,
            "sector": doctor.sector,
            "mode": doctor.mode,
            "replacement_declared": doctor.replacement_declared,
        },
    )
    insurance = InsuranceForm(
        request.POST if posted == "insurance" else None,
        initial={
            "insurer": doctor.insurer,
            "insurance_contract": doctor.insurance_contract,
            "insurance_covers_sites": doctor.insurance_covers_sites,
        },
    )
    zone = AddZoneForm(request.POST if posted == "zone" else None, doctor=doctor)
    forms: dict[str, DsfrBaseForm] = {"details": details, "insurance": insurance, "zone": zone}
    status = 200
    if posted in SAVED:
        form = forms.get(posted)
        try:
            if posted == "card":
                doctor_file.declare_cps_card(doctor, by=by)
            elif form is not None and form.is_valid():
                data = form.cleaned_data
                if posted == "details":
                    doctor_file.update_file(doctor, data, by=by)
                elif posted == "insurance":
                    doctor_file.declare_insurance(
                        doctor,
                        doctor_file.Insurance(
                            data["insurer"], data["insurance_contract"], data["insurance_covers_sites"]
                        ),
                        by=by,
                    )
                else:
                    doctor_file.add_zone(doctor, data["zone"], by=by)
            else:
                raise ValidationError({})
        except ValidationError as exc:
            if form is not None and exc.error_dict:
                apply_service_errors(form, exc)
            status = 400
        except RuleViolation as exc:
            if form is not None:
                form.add_error(None, exc.message)
            else:
                messages.error(request, exc.message)
            status = 409
        else:
            messages.success(request, SAVED[posted])
            return redirect("missions:doctor_file")
    doctor = (
        Doctor.objects.select_related("practice_commune", "practice_department", "cdom_department")
        .prefetch_related("zones__department")
        .get(pk=doctor.pk)
    )
    return render(
        request,
        "doctor/file.html",
        {
            "doctor": doctor,
            "steps": doctor_file.file_steps(doctor),
            "zones": sorted(doctor.zones.all(), key=lambda z: (z.department.code, z.name)),
            "details_form": details,
            "insurance_form": insurance,
            "zone_form": zone,
        },
        status=status,
    )


@never_cache
def cdom_decision(request: HttpRequest, token: str) -> HttpResponse:
    """The page the CDOM's link opens: no account, the signed link is the permission. Reading it changes nothing
    (mail scanners open links); the answer is a POST."""
    try:
        doctor = doctor_file.doctor_of_cdom_token(token)
    except doctor_file.LinkExpired:
        return render(request, "cdom/decision_invalid.html", {"reason": "expired"}, status=410)
    except doctor_file.LinkInvalid:
        return render(request, "cdom/decision_invalid.html", {"reason": "bad"}, status=400)
    form = CdomDecisionForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            doctor_file.record_cdom_decision(
                doctor,
                authorised=form.cleaned_data["decision"] == "authorised",
                reason=form.cleaned_data["reason"],
                token=token,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
            status = 400
        except RuleViolation as exc:
            form.add_error(None, exc.message)
            status = 409
        else:
            return redirect("missions:cdom_decision", token=token)
    doctor.refresh_from_db()
    return render(request, "cdom/decision.html", {"doctor": doctor, "form": form}, status=status)
