"""The lifecycle of a slot (core.transitions): a site publishes it open (sites.services.publish_slot, a creation)
and closes it. Closing cancels its bookings: missions.services.close_slot runs this act and, under the same locks,
missions' booking act for each booking."""

from django.utils import timezone

from accounts.authority import Allowed
from core.errors import Code, RuleViolation
from core.transitions import Lifecycle, act
from sites.models import Slot, SlotStatus

SITE_MANAGERS_ONLY = "Seuls les membres de ce lieu d'accueil et l'équipe ARS de sa région peuvent faire cela."


# A member of the host site, or ARS staff of its region (accounts.authority: « site.manage »).
manage_site = Allowed("site.manage", SITE_MANAGERS_ONLY)


def _not_past(slot: Slot) -> None:
    if slot.date < timezone.localdate():
        raise RuleViolation(Code.DATE_IN_PAST, "Ce créneau est passé : il ne peut plus être fermé.")


def _lock_slot(slot: Slot) -> Slot:
    return Slot.objects.select_for_update(of=("self",)).select_related("site").get(pk=slot.pk)


SLOT = Lifecycle.of(
    Slot,
    act(
        "close",
        [SlotStatus.OPEN],
        SlotStatus.CLOSED,
        label="fermer le créneau",
        permission=manage_site,
        stamp="closed",
        reason_field="closed_reason",
        reason_required="Indiquez le motif de la fermeture : il est communiqué aux médecins.",
        guard=_not_past,
        refusals={SlotStatus.CLOSED: "Ce créneau est déjà fermé."},
    ),
    lock=_lock_slot,
)
