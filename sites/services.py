"""Writes on host sites and their slots. Closing a slot touches bookings: it lives in missions.services."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from core.errors import RuleViolation
from core.history import set_history_user
from sites.lifecycles import manage_site
from sites.models import HostSite, Period, Slot
from sites.rules import check_horizon


def require_site_manager(user: User, site: HostSite | Slot) -> None:
    """A member of the host site, or ARS staff of its region (accounts.authority: « site.manage »)."""
    manage_site(user, site)


def _check_slot_input(day: date, period: str, capacity: int) -> None:
    errors = {}
    if period not in Period.values:
        errors["period"] = "Période inconnue : choisissez journée, matin ou après-midi."
    if not isinstance(capacity, int) or capacity < 1:
        errors["capacity"] = "Le nombre de places doit être au moins 1."
    elif capacity > 20:
        errors["capacity"] = "Le nombre de places ne peut pas dépasser 20 pour un créneau."
    if errors:
        raise ValidationError(errors)
    check_horizon(
        day,
        timezone.localdate(),
        past="On ne peut pas publier un créneau à une date passée.",
        beyond="publier des créneaux",
    )


def _lock_site(site: HostSite) -> None:
    """Publications of one site queue on its row, so « already open? » then INSERT cannot race: without it two
    concurrent publications of the same slot both pass the check and the second hits the partial unique index."""
    list(HostSite.objects.select_for_update().filter(pk=site.pk).values_list("pk", flat=True))


def _new_slot(site: HostSite, day: date, period: str, capacity: int, note: str, by: User) -> Slot:
    slot = Slot(site=site, zone_id=site.zone_id, date=day, period=period, capacity=capacity, note=note, created_by=by)
    set_history_user(slot, by)
    return slot


def publish_slot(*, site: HostSite, date: date, period: str, capacity: int = 1, note: str = "", by: User) -> Slot:
    require_site_manager(by, site)
    if not site.active:
        raise RuleViolation("site_inactive", "Ce lieu d'accueil n'est plus actif : il ne peut pas publier de créneau.")
    _check_slot_input(date, period, capacity)
    with transaction.atomic():
        _lock_site(site)
        if Slot.objects.filter(site=site, date=date, period=period, status=Slot.Status.OPEN).exists():
            raise RuleViolation(
                "slot_exists",
                f"Un créneau « {Period(period).label.lower()} » est déjà ouvert le {date:%d/%m/%Y} dans ce lieu.",
            )
        slot = _new_slot(site, date, period, capacity, note, by)
        slot.save()
    return slot


def edit_slot(slot: Slot, *, capacity: int, note: str, by: User) -> Slot:
    """The site edits an open slot to come: its note, and its capacity upward only (fewer places would take some
    from doctors who booked them: close the slot instead)."""
    require_site_manager(by, slot)
    with transaction.atomic():
        slot = Slot.objects.select_for_update().get(pk=slot.pk)
        if slot.status != Slot.Status.OPEN or slot.date < timezone.localdate():
            raise RuleViolation("slot_closed", "Ce créneau est fermé ou passé : il ne peut plus être modifié.")
        if not isinstance(capacity, int) or capacity < slot.capacity:
            raise ValidationError(
                {"capacity": f"Le nombre de places ne peut qu'augmenter (il est de {slot.capacity})."}
            )
        if capacity > 20:
            raise ValidationError({"capacity": "Le nombre de places ne peut pas dépasser 20 pour un créneau."})
        slot.capacity, slot.note = capacity, note.strip()
        set_history_user(slot, by)
        slot.save(update_fields=["capacity", "note"])
    return slot


@dataclass
class PublishResult:
    created: list[Slot] = field(default_factory=list)
    skipped: list[date] = field(default_factory=list)


def recurring_dates(start: date, end: date, weekdays: set[int]) -> list[date]:
    """Every date from `start` to `end` (inclusive) falling on one of `weekdays` (0 = Monday)."""
    if end < start:
        raise ValidationError({"end": "La date de fin doit suivre la date de début."})
    if (end - start).days > 366:
        raise ValidationError({"end": "Une publication couvre au plus un an."})
    days = (start + timedelta(days=n) for n in range((end - start).days + 1))
    return [d for d in days if d.weekday() in weekdays]


def publish_slots(
    *, site: HostSite, dates: Iterable[date], period: str, capacity: int = 1, note: str = "", by: User
) -> PublishResult:
    """Publish many slots at once; dates that already have an open slot for that period are skipped."""
    require_site_manager(by, site)
    if not site.active:
        raise RuleViolation("site_inactive", "Ce lieu d'accueil n'est plus actif : il ne peut pas publier de créneau.")
    dates = sorted(set(dates))
    for day in dates:
        _check_slot_input(day, period, capacity)
    result = PublishResult()
    with transaction.atomic():
        _lock_site(site)
        taken = set(
            Slot.objects.filter(site=site, period=period, status=Slot.Status.OPEN, date__in=dates).values_list(
                "date", flat=True
            )
        )
        result.skipped = [day for day in dates if day in taken]
        fresh = [_new_slot(site, day, period, capacity, note, by) for day in dates if day not in taken]
        result.created = bulk_create_with_history(fresh, Slot, default_user=by) if fresh else []
    return result


# The fields of a host site's practical pack (missions.pack): its team or ARS staff keep them up to date.
PACK_FIELDS: tuple[str, ...] = (
    "contact_name",
    "contact_phone",
    "contact_email",
    "premises_fee",
    "sesam_vitale_reader",
    "software",
    "equipment_notes",
    "lodging_notes",
)


def update_practical_pack(site: HostSite, *, by: User, **values: object) -> HostSite:
    """A member of the site (or ARS staff of its region) updates what a doctor is told with each booking."""
    require_site_manager(by, site)
    unknown = set(values) - set(PACK_FIELDS)
    if unknown:
        raise ValueError(f"not pack fields: {sorted(unknown)}")
    fee = values.get("premises_fee")
    if fee is not None and not (isinstance(fee, Decimal) and fee > 0):
        raise ValidationError(
            {"premises_fee": "Indiquez un montant positif en euros, ou laissez vide si le local est gratuit."}
        )
    for name, value in values.items():
        setattr(site, name, value)
    site.full_clean(exclude=[f.name for f in HostSite._meta.fields if f.name not in values], validate_unique=False)
    site.save(update_fields=list(values))
    return site
