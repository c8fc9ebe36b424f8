"""« Proposer ce créneau »: a signed, expiring link that books a slot for the invited doctor in one step."""

from datetime import timedelta

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format

from accounts.authority import visible
from accounts.person import signed_in
from config.site_url import site_url
from core.errors import RuleViolation
from missions import services
from missions.forms import ReplacementForm, apply_service_errors
from missions.models import Doctor
from missions.pack import practical_pack
from missions.queries import slots_with_remaining
from missions.views.access import doctor_space
from sites.models import Slot

SALT = "missions.slot-offer"
MAX_AGE = timedelta(days=30)


def offer_token(slot: Slot, doctor: Doctor) -> str:
    return signing.dumps({"slot": slot.pk, "doctor": doctor.pk}, salt=SALT, compress=True)


def offer_url(slot: Slot, doctor: Doctor) -> str:
    return site_url() + reverse("missions:accept_offer", args=[offer_token(slot, doctor)])


@doctor_space
def accept_offer(request: HttpRequest, doctor: Doctor, token: str) -> HttpResponse:
    try:
        payload = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.SignatureExpired:
        return render(request, "doctor/offer_invalid.html", {"reason": "expired"}, status=410)
    except signing.BadSignature:
        return render(request, "doctor/offer_invalid.html", {"reason": "bad"}, status=400)
    if payload.get("doctor") != doctor.pk:
        raise Http404("Cette invitation est adressée à un autre médecin.")
    slot = (
        slots_with_remaining(visible(request.user, Slot).filter(pk=payload.get("slot")))
        .select_related("site__commune", "zone")
        .first()
    )
    if slot is None:
        raise Http404("Ce créneau n'existe plus.")
    error = None
    form = ReplacementForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            replacement = form.replacement()
            booking = services.book_slot(doctor=doctor, slot=slot, by=signed_in(request), replacement=replacement)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"Votre demande pour le {date_format(booking.date, 'l j F Y')} {slot.site.at_name} est envoyée. "
                "Le lieu d'accueil doit maintenant la confirmer : vous recevrez un e-mail.",
            )
            return redirect("missions:doctor_missions")
    context = {"doctor": doctor, "slot": slot, "error": error, "form": form, "pack": practical_pack(slot.site)}
    return render(request, "doctor/offer.html", context)
