"""The doctor's space: registration, slot search and booking, missions, cancellation, availability, calendar."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from accounts.authority import visible
from accounts.person import signed_in
from api.throttles import registration_allowed
from billing.queries import doctor_earnings  # web pages sit on top of every app: the earnings are billing's
from config.site_url import site_url
from core.errors import Code, RuleViolation
from missions import services
from missions.forms import (
    AvailabilityForm,
    ReasonForm,
    RegistrationForm,
    ReplacementForm,
    SlotSearchForm,
    apply_service_errors,
)
from missions.models import Availability, Booking, Doctor
from missions.pack import practical_pack
from missions.queries import next_months, open_slots
from missions.rules import format_days, month_bounds
from missions.views.access import doctor_space
from sites.models import Slot

SEARCH_MONTHS = 6
SLOTS_PER_PAGE = 30
PAST_PER_PAGE = 20
UPCOMING_STATUSES = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED)


# --- registration --------------------------------------------------------------------------------------------


REGISTRATION_THROTTLED = (
    "Trop de dossiers ont été déposés depuis votre adresse réseau : réessayez dans une heure. Rien n'a été enregistré."
)
SESSION_REGISTRATION = "registration_received"


def register(request: HttpRequest) -> HttpResponse:
    """The public application form. Its answer never tells whether the address already had an account: both end
    on the same « Dossier reçu » page (the owner of an existing account is told by e-mail), a second submission of
    the same form included. Throttled per client address like the API's registration (a shared counter)."""
    form = RegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not registration_allowed(request):
            form.add_error(None, REGISTRATION_THROTTLED)
            status = 429
        else:
            try:
                services.register_doctor(form.registration())
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            else:
                # What this visitor typed, to echo on the next page: nothing they did not send.
                request.session[SESSION_REGISTRATION] = {
                    "last_name": data["last_name"].strip(),
                    "email": data["email"].strip(),
                    "zones": sorted(zone.name for zone in data["zones"]),
                }
                return redirect("missions:registered")
    return render(request, "doctor/register.html", {"form": form}, status=status)


def registered(request: HttpRequest) -> HttpResponse:
    received = request.session.get(SESSION_REGISTRATION)
    if not received:
        return redirect("missions:register")
    return render(request, "doctor/registered.html", {"received": received})


# --- home ------------------------------------------------------------------------------------------------------


@doctor_space
def home(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    today = timezone.localdate()
    upcoming = list(
        Booking.objects.filter(doctor=doctor, date__gte=today, status__in=UPCOMING_STATUSES)
        .select_related("slot__site__commune", "zone")
        .order_by("date")[:5]
    )
    this_month = services.month_days_booked(doctor.pk, today)
    return render(
        request,
        "doctor/home.html",
        {
            "doctor": doctor,
            "upcoming": upcoming,
            "this_month": format_days(this_month),
            "cap": format_days(settings.MAX_DAYS_PER_MONTH),
            "today": today,
        },
    )


# --- slots: search and book --------------------------------------------------------------------------------------


def _search_page(request: HttpRequest, doctor: Doctor, *, refused: dict | None = None) -> HttpResponse:
    today = timezone.localdate()
    months = next_months(SEARCH_MONTHS, today)
    form = SlotSearchForm(request.GET or None, months=months)
    zone = period = month = None
    if form.is_valid():
        zone = form.cleaned_data["zone"]
        period = form.cleaned_data["period"] or None
        month = form.selected_month()
    date_from, date_to = month_bounds(month) if month else (today, today + timedelta(days=31 * SEARCH_MONTHS))
    slots = open_slots(zone=zone, date_from=date_from, date_to=date_to, period=period)
    my_zone_ids = list(doctor.zones.values_list("pk", flat=True))
    if zone is None and my_zone_ids:
        slots = slots.filter(zone_id__in=my_zone_ids)
    page = Paginator(slots, SLOTS_PER_PAGE).get_page(request.GET.get("page"))
    busy_dates = set(
        Booking.objects.filter(
            doctor=doctor, status__in=Booking.ACTIVE_STATUSES, date__range=(date_from, date_to)
        ).values_list("date", flat=True)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "doctor/slots.html",
        {
            "doctor": doctor,
            "form": form,
            "page": page,
            "busy_dates": busy_dates,
            "refused": refused,
            "query": query.urlencode(),
            "can_book": doctor.status == Doctor.Status.VALIDATED,
        },
    )


@doctor_space
def slots(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    return _search_page(request, doctor)


@doctor_space
def book(request: HttpRequest, doctor: Doctor, slot_id: int) -> HttpResponse:
    """POST from the search list books in one step. A doctor whose file declares a replacement at their main
    practice books from this page (GET), which asks who replaces them that day; so does a refusal of its form."""
    slot = get_object_or_404(visible(request.user, Slot).select_related("site__commune", "zone"), pk=slot_id)
    on_page = request.method == "GET" or request.POST.get("page") == "reserver"
    form = ReplacementForm(request.POST if request.method == "POST" and on_page else None)
    error = None
    if request.method == "POST" and (not on_page or form.is_valid()):
        try:
            replacement = form.replacement() if on_page else None
            booking = services.book_slot(doctor=doctor, slot=slot, by=signed_in(request), replacement=replacement)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:
            if not on_page and exc.code != Code.REPLACEMENT_REQUIRED:
                return _search_page(request, doctor, refused={"slot_id": slot.pk, "slot": slot, "message": exc.message})
            error = exc.message
        else:
            messages.success(
                request,
                f"Votre demande pour le {date_format(booking.date, 'l j F Y')} {slot.site.at_name} est envoyée. "
                "Le lieu d'accueil doit maintenant la confirmer : vous recevrez un e-mail.",
            )
            return redirect("missions:doctor_missions")
    return render(
        request,
        "doctor/book.html",
        {"doctor": doctor, "slot": slot, "form": form, "error": error, "pack": practical_pack(slot.site)},
    )


# --- my missions, cancellation -------------------------------------------------------------------------------------


@doctor_space
def my_missions(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    today = timezone.localdate()
    mine = Booking.objects.filter(doctor=doctor).select_related("slot__site__commune", "zone")
    upcoming = list(mine.filter(date__gte=today).order_by("date", "pk"))
    past = Paginator(mine.filter(date__lt=today).order_by("-date", "-pk"), PAST_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "doctor/missions.html",
        {"doctor": doctor, "upcoming": upcoming, "past": past, "today": today},
    )


@doctor_space
def mission(request: HttpRequest, doctor: Doctor, booking_id: int) -> HttpResponse:
    """One of the doctor's mission days: its status, the practical pack, the remplaçant named for it."""
    today = timezone.localdate()
    booking = get_object_or_404(
        visible(request.user, Booking).select_related("slot__site__commune", "zone"), pk=booking_id, doctor=doctor
    )
    return render(
        request,
        "doctor/mission.html",
        {
            "doctor": doctor,
            "booking": booking,
            "pack": practical_pack(booking.slot.site),
            "cancellable": booking.status in UPCOMING_STATUSES and booking.date >= today,
            "today": today,
        },
    )


@doctor_space
def cancel(request: HttpRequest, doctor: Doctor, booking_id: int) -> HttpResponse:
    booking = get_object_or_404(
        visible(request.user, Booking).select_related("slot__site__commune", "zone"), pk=booking_id, doctor=doctor
    )
    late = services.is_late_cancellation(booking)
    form = ReasonForm(
        request.POST or None,
        label="Motif de l'annulation",
        help_text="Il est transmis au lieu d'accueil.",
    )
    if request.method == "POST" and form.is_valid():
        if late and request.POST.get("late_ack") != "on":
            form.add_error(None, "Cochez la case pour confirmer que vous annulez tardivement.")
        else:
            try:
                services.cancel_booking(booking, by=signed_in(request), reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"Votre mission du {date_format(booking.date, 'j F Y')} est annulée. Le lieu d'accueil est prévenu.",
                )
                return redirect("missions:doctor_missions")
    return render(
        request,
        "doctor/cancel.html",
        {
            "doctor": doctor,
            "booking": booking,
            "late": late,
            "late_hours": settings.LATE_CANCEL_HOURS,
            "late_ack": request.POST.get("late_ack") == "on",
            "form": form,
        },
    )


# --- earnings --------------------------------------------------------------------------------------------------


@doctor_space
def earnings(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    return render(
        request,
        "doctor/earnings.html",
        {"doctor": doctor, "earnings": doctor_earnings(doctor)},
    )


# --- availability ----------------------------------------------------------------------------------------------


@doctor_space
def availability(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    form = AvailabilityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.declare_availability(
                doctor=doctor, date=form.cleaned_data["date"], period=form.cleaned_data["period"], by=signed_in(request)
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:
            form.add_error("date", exc.message)
        else:
            messages.success(
                request, f"Disponibilité enregistrée pour le {date_format(form.cleaned_data['date'], 'l j F Y')}."
            )
            return redirect("missions:doctor_availability")
    days = Availability.objects.filter(doctor=doctor, date__gte=timezone.localdate()).order_by("date", "period")
    return render(request, "doctor/availability.html", {"doctor": doctor, "form": form, "days": days})


@require_POST
@doctor_space
def remove_availability(request: HttpRequest, doctor: Doctor, availability_id: int) -> HttpResponse:
    day = get_object_or_404(visible(request.user, Availability), pk=availability_id, doctor=doctor)
    services.remove_availability(day, by=signed_in(request))
    messages.success(request, f"Disponibilité du {date_format(day.date, 'l j F Y')} retirée.")
    return redirect("missions:doctor_availability")


# --- calendar feed ---------------------------------------------------------------------------------------------


def feed_url(doctor: Doctor) -> str:
    return site_url() + reverse("missions:ical_feed", args=[doctor.ical_token])


@doctor_space
def calendar(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    url = feed_url(doctor)
    webcal = "webcal://" + url.split("://", 1)[-1]
    return render(request, "doctor/calendar.html", {"doctor": doctor, "feed_url": url, "webcal_url": webcal})


@require_POST
@doctor_space
def revoke_calendar(request: HttpRequest, doctor: Doctor) -> HttpResponse:
    services.revoke_ical_token(doctor, by=signed_in(request))
    messages.success(
        request,
        "Votre lien de calendrier est renouvelé : l'ancien ne fonctionne plus. "
        "Abonnez de nouveau vos agendas avec le lien ci-dessous.",
    )
    return redirect("missions:doctor_calendar")
