from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from core.transitions import Lifecycle, Transition


class TransitionLogQuerySet(models.QuerySet):
    def of(self, obj: models.Model) -> TransitionLogQuerySet:
        """The transitions of one object, oldest first."""
        return self.filter(object_type=obj._meta.label_lower, object_id=obj.pk).order_by("at", "pk")


class TransitionLog(models.Model):
    """Who moved which object from which state to which, when and why: one row per act run (core.transitions)."""

    object_type = models.CharField("type d'objet", max_length=60)
    object_id = models.PositiveBigIntegerField("identifiant")
    act = models.CharField("acte", max_length=40)
    from_state = models.CharField("de", max_length=20)
    to_state = models.CharField("vers", max_length=20)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="par",
        help_text="Vide pour un traitement automatique.",
    )
    at = models.DateTimeField("le")
    reason = models.TextField("motif", blank=True)

    objects = TransitionLogQuerySet.as_manager()

    class Meta:
        verbose_name = "changement d'état"
        verbose_name_plural = "changements d'état"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["object_type", "object_id", "at"], name="transitionlog_object_idx")]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} : {self.from_state} → {self.to_state}"

    @classmethod
    def record(cls, transition: Transition, *, lifecycle: Lifecycle) -> TransitionLog:
        entry = cls.entry(transition, lifecycle=lifecycle)
        entry.save()
        return entry

    @classmethod
    def entry(cls, transition: Transition, *, lifecycle: Lifecycle) -> TransitionLog:
        """The row of one transition, unsaved (Lifecycle.run_many inserts a batch at once)."""
        obj = transition.obj
        return cls(
            object_type=obj._meta.label_lower,
            object_id=obj.pk,
            act=transition.act.name,
            from_state=transition.previous,
            to_state=lifecycle.state(obj),
            by=transition.by if getattr(transition.by, "pk", None) else None,
            at=transition.at,
            reason=transition.reason,
        )
