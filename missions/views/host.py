"""The host site's space: its slots, bookings to confirm or decline, days to attest, invitations to doctors.

Publishing slots lives in sites/views.py (it only touches sites). A person sees the sites they are a member of;
any other site's slot or booking is a 404.
"""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_POST

from accounts.authority import visible
from accounts.person import signed_in
from core.errors import RuleViolation
from missions import services
from missions.forms import AttestForm, CorrectAttestationForm, ReasonForm, SlotEditForm, apply_service_errors
from missions.models import Availability, Booking, Doctor, SlotOffer
from missions.queries import available_doctors, slots_with_remaining
from missions.views.access import host_space
from missions.views.invitations import offer_url
from sites import services as site_services
from sites.models import HostSite, Slot

SLOTS_PER_PAGE = 30
RECENT_ATTESTATIONS_DAYS = 30
PENDING = (Booking.Status.REQUESTED, Booking.Status.CONFIRMED)


def _selected_sites(request: HttpRequest, sites: list[HostSite]) -> list[HostSite]:
    """All the person's sites, or the one chosen with ?lieu=<id>."""
    chosen = request.GET.get("lieu")
    picked = [s for s in sites if str(s.pk) == chosen]
    return picked or sites


def _site_context(request: HttpRequest, sites: list[HostSite]) -> dict:
    selected = _selected_sites(request, sites)
    return {
        "sites": sites,
        "selected_sites": selected,
        "selected_site": selected[0] if len(selected) == 1 else None,
        "several_sites": len(sites) > 1,
    }


# --- home: the sites' upcoming slots ---------------------------------------------------------------------------


@host_space
def home(request: HttpRequest, sites: list[HostSite]) -> HttpResponse:
    today = timezone.localdate()
    context = _site_context(request, sites)
    site_ids = [s.pk for s in context["selected_sites"]]
    counts = Booking.objects.filter(slot__site_id__in=site_ids).aggregate(
        to_confirm=Count("pk", filter=Q(status=Booking.Status.REQUESTED)),
        to_attest=Count("pk", filter=Q(status=Booking.Status.CONFIRMED, date__lte=today)),
    )
    slots = (
        slots_with_remaining(Slot.objects.filter(site_id__in=site_ids, date__gte=today))
        .select_related("site")
        .prefetch_related(
            Prefetch(
                "bookings",
                queryset=Booking.objects.filter(status__in=PENDING).select_related("doctor").order_by("pk"),
                to_attr="pending_bookings",
            )
        )
        .order_by("date", "period", "site__name")
    )
    page = Paginator(slots, SLOTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "host/home.html",
        {**context, **counts, "page": page, "query": query.urlencode(), "today": today},
    )


# --- one slot: its bookings, the doctors available that day, closing it -------------------------------------------


def _slot_page(
    request: HttpRequest,
    sites: list[HostSite],
    slot_id: int,
    *,
    offer_error: dict | None = None,
    close_form: ReasonForm | None = None,
    edit_form: SlotEditForm | None = None,
) -> HttpResponse:
    today = timezone.localdate()
    slot = get_object_or_404(
        slots_with_remaining(visible(request.user, Slot).filter(site__in=sites)).select_related("site", "zone"),
        pk=slot_id,
    )
    bookings = list(slot.bookings.select_related("doctor").order_by("requested_at"))
    can_offer = slot.status == Slot.Status.OPEN and slot.date >= today and slot.remaining > 0
    available = list(visible(request.user, available_doctors(zone=slot.zone_id, date=slot.date))) if can_offer else []
    invited = set(SlotOffer.objects.filter(slot=slot).values_list("doctor_id", flat=True)) if available else set()
    for availability in available:
        availability.invited = availability.doctor_id in invited
    if close_form is None:
        close_form = ReasonForm(
            label="Motif de la fermeture", help_text="Il est transmis aux médecins qui avaient réservé."
        )
    return render(
        request,
        "host/slot.html",
        {
            "sites": sites,
            "slot": slot,
            "bookings": bookings,
            "available": available,
            "can_offer": can_offer,
            "can_close": slot.status == Slot.Status.OPEN and slot.date >= today,
            "offer_error": offer_error,
            "close_form": close_form,
            "edit_form": edit_form
            or SlotEditForm(prefix="modifier", initial={"capacity": slot.capacity, "note": slot.note}),
        },
        status=400 if edit_form is not None else 200,
    )


@require_POST
@host_space
def edit_slot(request: HttpRequest, sites: list[HostSite], slot_id: int) -> HttpResponse:
    slot = get_object_or_404(visible(request.user, Slot).filter(site__in=sites), pk=slot_id)
    form = SlotEditForm(request.POST, prefix="modifier")
    if form.is_valid():
        try:
            site_services.edit_slot(
                slot, capacity=form.cleaned_data["capacity"], note=form.cleaned_data["note"], by=signed_in(request)
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:  # closed or past: the page no longer offers the form, the message says why
            messages.error(request, exc.message)
            return redirect("missions:host_slot", slot_id=slot.pk)
        else:
            messages.success(request, "Créneau modifié.")
            return redirect("missions:host_slot", slot_id=slot.pk)
    return _slot_page(request, sites, slot_id, edit_form=form)


@host_space
def slot_detail(request: HttpRequest, sites: list[HostSite], slot_id: int) -> HttpResponse:
    return _slot_page(request, sites, slot_id)


@require_POST
@host_space
def offer(request: HttpRequest, sites: list[HostSite], slot_id: int, doctor_id: int) -> HttpResponse:
    slot = get_object_or_404(
        visible(request.user, Slot).filter(site__in=sites).select_related("site", "zone"), pk=slot_id
    )
    # Only the doctors this page listed: those who declared themselves available that day in the slot's zone. Not
    # narrowed to `visible` (validated doctors): one suspended since the page was shown gets the service's reason.
    declared = Availability.objects.filter(date=slot.date, doctor__zones=slot.zone_id).values("doctor_id")
    doctor = get_object_or_404(Doctor.objects.select_related("user").filter(pk__in=declared), pk=doctor_id)
    try:
        sent = services.offer_slot(slot=slot, doctor=doctor, by=signed_in(request), accept_url=offer_url(slot, doctor))
    except RuleViolation as exc:
        return _slot_page(
            request, sites, slot_id, offer_error={"doctor_id": doctor.pk, "doctor": doctor, "message": exc.message}
        )
    if sent:
        messages.success(request, f"Invitation envoyée au Dr {doctor.full_name}.")
    else:
        messages.info(request, f"Le Dr {doctor.full_name} avait déjà reçu une invitation pour ce créneau.")
    return redirect("missions:host_slot", slot_id=slot.pk)


@require_POST
@host_space
def close(request: HttpRequest, sites: list[HostSite], slot_id: int) -> HttpResponse:
    slot = get_object_or_404(visible(request.user, Slot).filter(site__in=sites), pk=slot_id)
    form = ReasonForm(
        request.POST,
        label="Motif de la fermeture",
        help_text="Il est transmis aux médecins qui avaient réservé.",
    )
    if form.is_valid():
        try:
            cancelled = services.close_slot(slot, by=signed_in(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Créneau du {date_format(slot.date, 'j F Y')} fermé"
                + (
                    f" ; {cancelled} réservation{pluralize(cancelled)} annulée{pluralize(cancelled)}, "
                    f"{'les médecins sont prévenus' if cancelled > 1 else 'le médecin est prévenu'}."
                    if cancelled
                    else "."
                ),
            )
            return redirect("missions:host_home")
    return _slot_page(request, sites, slot_id, close_form=form)


# --- bookings to confirm or decline -----------------------------------------------------------------------------


def _bookings_page(request: HttpRequest, sites: list[HostSite], *, refused: dict | None = None) -> HttpResponse:
    today = timezone.localdate()
    context = _site_context(request, sites)
    mine = Booking.objects.filter(slot__site__in=context["selected_sites"]).select_related("doctor", "slot__site")
    to_confirm = list(mine.filter(status=Booking.Status.REQUESTED).order_by("date", "pk"))
    confirmed = list(mine.filter(status=Booking.Status.CONFIRMED, date__gte=today).order_by("date", "pk"))
    return render(
        request,
        "host/bookings.html",
        {**context, "to_confirm": to_confirm, "confirmed": confirmed, "refused": refused, "today": today},
    )


@host_space
def bookings(request: HttpRequest, sites: list[HostSite]) -> HttpResponse:
    return _bookings_page(request, sites)


def _site_booking(request: HttpRequest, sites: list[HostSite], booking_id: int) -> Booking:
    return get_object_or_404(
        visible(request.user, Booking).filter(slot__site__in=sites).select_related("doctor__user", "slot__site"),
        pk=booking_id,
    )


@require_POST
@host_space
def confirm(request: HttpRequest, sites: list[HostSite], booking_id: int) -> HttpResponse:
    booking = _site_booking(request, sites, booking_id)
    try:
        services.confirm_booking(booking, by=signed_in(request))
    except RuleViolation as exc:
        return _bookings_page(request, sites, refused={"booking_id": booking.pk, "message": exc.message})
    messages.success(
        request,
        f"Venue du Dr {booking.doctor.full_name} le {date_format(booking.date, 'j F Y')} confirmée ; "
        "le médecin est prévenu par e-mail.",
    )
    back = "missions:host_attestations" if request.POST.get("back") == "attestations" else "missions:host_bookings"
    return redirect(back)


@host_space
def decline(request: HttpRequest, sites: list[HostSite], booking_id: int) -> HttpResponse:
    booking = _site_booking(request, sites, booking_id)
    form = ReasonForm(request.POST or None, label="Motif du refus", help_text="Il est transmis au médecin.")
    if request.method == "POST" and form.is_valid():
        try:
            services.decline_booking(booking, by=signed_in(request), reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Demande du Dr {booking.doctor.full_name} refusée ; le médecin est prévenu.")
            return redirect("missions:host_bookings")
    return render(request, "host/decline.html", {"sites": sites, "booking": booking, "form": form})


# --- attestations -------------------------------------------------------------------------------------------------


def _attestations_page(
    request: HttpRequest, sites: list[HostSite], *, bound: AttestForm | None = None, bound_id: int | None = None
) -> HttpResponse:
    today = timezone.localdate()
    context = _site_context(request, sites)
    mine = Booking.objects.filter(slot__site__in=context["selected_sites"], date__lte=today).select_related(
        "doctor", "slot__site"
    )
    to_attest = list(mine.filter(status=Booking.Status.CONFIRMED).order_by("date", "pk"))
    unconfirmed = list(mine.filter(status=Booking.Status.REQUESTED).order_by("date", "pk"))
    for booking in to_attest:
        # For the template only: each booking with its own form (not a field of the model).
        booking.form = bound if booking.pk == bound_id else AttestForm(prefix=f"b{booking.pk}")  # type: ignore[attr-defined]
    recent = list(
        mine.filter(
            status__in=[Booking.Status.COMPLETED, Booking.Status.NO_SHOW],
            date__gte=today - timedelta(days=RECENT_ATTESTATIONS_DAYS),
        ).order_by("-date", "-pk")
    )
    return render(
        request,
        "host/attestations.html",
        {**context, "to_attest": to_attest, "unconfirmed": unconfirmed, "recent": recent, "today": today},
    )


@host_space
def attestations(request: HttpRequest, sites: list[HostSite]) -> HttpResponse:
    return _attestations_page(request, sites)


@require_POST
@host_space
def attest(request: HttpRequest, sites: list[HostSite], booking_id: int) -> HttpResponse:
    booking = _site_booking(request, sites, booking_id)
    form = AttestForm(request.POST, prefix=f"b{booking.pk}")
    if form.is_valid():
        try:
            services.attest_booking(
                booking,
                by=signed_in(request),
                attended=form.came,
                consultations=form.cleaned_data["consultations"] if form.came else None,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except RuleViolation as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Dr {booking.doctor.full_name}, {date_format(booking.date, 'j F Y')} : "
                f"{_outcome(form.came, form.cleaned_data['consultations'])}.",
            )
            return redirect("missions:host_attestations")
    return _attestations_page(request, sites, bound=form, bound_id=booking.pk)


def _outcome(came: bool, consultations: int | None) -> str:
    if not came:
        return "absence enregistrée"
    return f"venue attestée ({consultations} consultation{pluralize(consultations)})"


@host_space
def correct_attestation(request: HttpRequest, sites: list[HostSite], booking_id: int) -> HttpResponse:
    """The site corrects its own attestation, with a reason; refused once the day is on an issued statement (the
    ARS corrects it then), which the service says."""
    booking = _site_booking(request, sites, booking_id)
    if booking.status not in (Booking.Status.COMPLETED, Booking.Status.NO_SHOW):
        raise Http404("Cette journée n'est pas attestée.")
    if request.method == "POST":
        form = CorrectAttestationForm(request.POST)
        if form.is_valid():
            try:
                services.correct_attestation(
                    booking,
                    by=signed_in(request),
                    attended=form.came,
                    consultations=form.cleaned_data["consultations"] if form.came else None,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except RuleViolation as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"Attestation corrigée — Dr {booking.doctor.full_name}, {date_format(booking.date, 'j F Y')} : "
                    f"{_outcome(form.came, form.cleaned_data['consultations'])}. L'ARS voit la correction et son motif.",
                )
                return redirect("missions:host_attestations")
    else:
        form = CorrectAttestationForm(initial=CorrectAttestationForm.initial_for(booking))
    return render(request, "host/correct_attestation.html", {"sites": sites, "booking": booking, "form": form})
