"""Decisions go back to DS: demarches listens to the transitions core records (missions does not know DS).

Every act of a lifecycle writes a `core.TransitionLog` row in its transaction (core.transitions); a doctor's
`validate` or `reject` act, for a doctor who came from DS, becomes a `Decision` row in that same transaction — the
outbox's promise (demarches.services.send_decisions keeps it).
"""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver

from core.models import TransitionLog
from demarches.services import DECIDED_BY_ACT, record_decision


@receiver(post_save, sender=TransitionLog, dispatch_uid="demarches.decision_of_transition")
def queue_decision(sender: Any, instance: TransitionLog, created: bool, **kwargs: Any) -> None:
    if created and instance.object_type == "missions.doctor" and instance.act in DECIDED_BY_ACT:
        record_decision(instance.object_id, instance.act, instance.reason)
