"""Lifecycles declared once, as named acts, and run in one place.

A lifecycle lists the acts that move one model's status field: for each, the states it starts from, the state it
leads to, who may do it (a permission check from accounts.authority), what it stamps (`<stamp>_at`, `<stamp>_by`,
the reason) and what it tells (notices, signals). `Lifecycle.run` does the rest the same way for every model:
it checks the permission, locks the row, checks the state, stamps, saves (django-simple-history records the
version with the person acting), writes a `TransitionLog` row (who, when, from, to, why) and calls the tells in
the same transaction — so a message is the promise of a change that committed (the outbox, PATTERNS.md).

Services call acts (`BOOKING.run(booking, "confirm", by=user)`); no service writes a status by hand.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from core.errors import Code, RuleViolation


@dataclass(frozen=True)
class Transition:
    """What the tells receive: the object after the act, and how it got there."""

    obj: Any
    act: Act
    by: Any
    previous: str
    reason: str
    at: datetime
    context: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # what the caller knows, for the tells


Tell = Callable[[Transition], object]
Permission = Callable[[Any, Any], None]  # (by, obj) -> None, raising NotAllowed
Guard = Callable[[Any], None]  # obj (locked, in its source state) -> None, raising RuleViolation


@dataclass(frozen=True)
class Act:
    """One named act of a lifecycle."""

    name: str
    sources: frozenset[str]
    target: str | None  # None: the caller chooses among `targets` (an attestation: completed or no-show)
    label: str = ""  # French, for the log and the refusals: « valider le dossier »
    permission: Permission | None = None  # None: the act is the system's (a job); `by` may be None
    stamp: str | None = None  # "confirmed" stamps confirmed_at and confirmed_by
    reason_field: str | None = None  # the model field that keeps the reason given
    targets: frozenset[str] = frozenset()
    tells: tuple[Tell, ...] = ()
    also: Callable[[Transition], None] | None = None  # stamps of its own, before the save (validated_at…)
    # French message when no reason is given (a ValidationError on « reason », before any lock); "" = optional
    reason_required: str = ""
    guard: Guard | None = None  # a rule of the act beyond the states (« not before the day »), checked under the lock
    # French refusal by current state ("*": any state the act cannot start from), instead of the generic one
    refusals: Mapping[str, str] = dataclasses.field(default_factory=dict)


def act(
    name: str,
    sources: Iterable[str],
    target: str | None,
    *,
    label: str = "",
    permission: Permission | None = None,
    stamp: str | None = None,
    reason_field: str | None = None,
    targets: Iterable[str] = (),
    tells: Iterable[Tell] = (),
    also: Callable[[Transition], None] | None = None,
    reason_required: str = "",
    guard: Guard | None = None,
    refusals: Mapping[str, str] | None = None,
) -> Act:
    return Act(
        name=name,
        sources=frozenset(sources),
        target=target,
        label=label or name,
        permission=permission,
        stamp=stamp,
        reason_field=reason_field,
        targets=frozenset(targets),
        tells=tuple(tells),
        also=also,
        reason_required=reason_required,
        guard=guard,
        refusals=dict(refusals or {}),
    )


@dataclass
class Lifecycle:
    """The acts of one model's status field, and the one place that runs them."""

    model: type[models.Model]
    acts: Mapping[str, Act]
    state_field: str = "status"
    lock: Callable[[Any], Any] | None = None  # obj -> the same row, locked (and any row to lock before it)
    labels: dict[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.labels:
            field = self.model._meta.get_field(self.state_field)
            assert isinstance(field, models.Field), f"{self.model.__name__}.{self.state_field}: not a column"
            self.labels = {str(k): str(v) for k, v in field.choices or ()}
        unknown = {
            state
            for a in self.acts.values()
            for state in {*a.sources, *a.targets, *([a.target] if a.target else [])}
            if state not in self.labels
        }
        if unknown:
            raise ValueError(f"{self.model.__name__}: unknown states {sorted(unknown)}")

    @classmethod
    def of(cls, model: type[models.Model], *acts: Act, **options: Any) -> Lifecycle:
        return cls(model=model, acts={a.name: a for a in acts}, **options)

    # --- reading ---------------------------------------------------------------------------------------------

    def state(self, obj: Any) -> str:
        return getattr(obj, self.state_field)

    def can(self, obj: Any, name: str) -> bool:
        """May this act start from the object's current state (whoever acts)?"""
        return self.state(obj) in self.acts[name].sources

    def available(self, obj: Any) -> list[Act]:
        return [a for a in self.acts.values() if self.state(obj) in a.sources]

    def successors(self, state: str) -> set[str]:
        """Every other state some act leads to from `state` (the table of DESIGN §4; an act that may keep the state,
        such as correcting the consultations of an attested day, is an edit there, not a transition)."""
        return {
            t
            for a in self.acts.values()
            if state in a.sources
            for t in ({a.target} if a.target else a.targets)
            if t != state
        }

    def refusal(self, current: str, target: str | None, a: Act | None = None) -> RuleViolation:
        if a is not None and (message := a.refusals.get(current) or a.refusals.get("*")):
            return RuleViolation(Code.INVALID_TRANSITION, message)
        to = self.labels.get(target, target) if target else "?"
        return RuleViolation(
            Code.INVALID_TRANSITION,
            f"Impossible de passer de « {self.labels.get(current, current)} » à « {to} ».",
        )

    # --- running ---------------------------------------------------------------------------------------------

    def run(
        self,
        obj: Any,
        name: str,
        *,
        by: Any,
        reason: str = "",
        target: str | None = None,
        changes: Mapping[str, Any] | None = None,
        locked: bool = False,
        at: datetime | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        """Run act `name` on `obj` for `by` and return the object as saved.

        `target` picks among the act's `targets`; `changes` are the other fields the act sets (a count of
        consultations, the late-cancellation flag); `locked=True` when the caller already holds the row's lock
        (closing a slot cancels its bookings under the locks it took in order); `at` dates the act (default: now;
        the bookings of a closed slot are cancelled when it closed); `context` reaches the tells."""
        a = self.acts[name]
        reason = self._allow(a, by, obj, reason)
        with transaction.atomic():
            if not locked:
                obj = self.lock(obj) if self.lock else self._lock(obj)
            transition = self._apply(
                obj, a, by=by, reason=reason, target=target, changes=changes, at=at, context=context
            )
            from core.models import TransitionLog

            TransitionLog.record(transition, lifecycle=self)
            self._tell(transition)
        return obj

    def run_many(
        self,
        objs: Iterable[Any],
        name: str,
        *,
        by: Any,
        reason: str = "",
        changes_of: Callable[[Any], Mapping[str, Any]] | None = None,
        locked: bool = False,
        permitted: bool = False,
        at: datetime | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> list[Any]:
        """Run act `name` on each of `objs`, as `run` does, in one transaction and with one insert of their
        transition log: what a batch (the bookings of a closed slot) costs per object is its own save.
        `changes_of(obj)` gives the fields the act sets on that object; `permitted=True` when an act the caller
        has run already gives `by` this one on every object (who may close a slot may cancel its bookings: asking
        again would cost a query each). All or nothing: one refusal refuses all."""
        a = self.acts[name]
        objs = list(objs)
        transitions = []
        with transaction.atomic():
            for obj in objs:
                clean_reason = self._allow(a, by, obj, reason, permitted=permitted)
                if not locked:
                    obj = self.lock(obj) if self.lock else self._lock(obj)
                changes = changes_of(obj) if changes_of else None
                transitions.append(
                    self._apply(
                        obj, a, by=by, reason=clean_reason, target=None, changes=changes, at=at, context=context
                    )
                )
            from core.models import TransitionLog

            TransitionLog.objects.bulk_create([TransitionLog.entry(t, lifecycle=self) for t in transitions])
            for transition in transitions:
                self._tell(transition)
        return [t.obj for t in transitions]

    def _allow(self, a: Act, by: Any, obj: Any, reason: str, *, permitted: bool = False) -> str:
        """Who may act (unless the caller decided it already), and the reason the act requires: checked before any
        lock. Returns the reason, stripped."""
        if a.permission is not None and not permitted:
            a.permission(by, obj)
        reason = (reason or "").strip()
        if a.reason_required and not reason:
            raise ValidationError({"reason": [a.reason_required]})
        return reason

    def _apply(
        self,
        obj: Any,
        a: Act,
        *,
        by: Any,
        reason: str,
        target: str | None,
        changes: Mapping[str, Any] | None,
        at: datetime | None,
        context: Mapping[str, Any] | None,
    ) -> Transition:
        """Check the state of a locked object, move it, stamp it and save it (the history keeps `by`)."""
        previous = self.state(obj)
        to = a.target or target
        if a.target is None and to not in a.targets:
            raise self.refusal(previous, to, a)
        if previous not in a.sources:
            raise self.refusal(previous, to, a)
        if a.guard is not None:
            a.guard(obj)
        now = at or timezone.now()
        setattr(obj, self.state_field, to)
        for attribute, value in (changes or {}).items():
            setattr(obj, attribute, value)
        if a.stamp:
            setattr(obj, f"{a.stamp}_at", now)
            setattr(obj, f"{a.stamp}_by", by)
        if a.reason_field:
            setattr(obj, a.reason_field, reason)
        transition = Transition(
            obj=obj, act=a, by=by, previous=previous, reason=reason, at=now, context=dict(context or {})
        )
        if a.also is not None:
            a.also(transition)
        obj._history_user = by
        if reason:
            obj._change_reason = reason[:100]
        obj.save()
        return transition

    @staticmethod
    def _tell(transition: Transition) -> None:
        for tell in transition.act.tells:
            tell(transition)

    def _lock(self, obj: Any) -> Any:
        return type(obj)._default_manager.select_for_update(of=("self",)).get(pk=obj.pk)
