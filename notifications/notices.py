"""One declaration per kind of message: a `Notice` subclass owns its template, recipients, dedup key and context.

    @dataclass
    class BookingConfirmed(Notice):
        kind = "booking_confirmed"          # templates/notifications/booking_confirmed/{subject,body}.txt, body.html
        booking: Booking

        def recipients(self): return [self.booking.doctor.user.email]
        def context(self): return {"booking": self.booking}
        def dedup_key(self): return f"booking:{self.booking.pk}:confirmed"

    BookingConfirmed(booking).send()        # in the transaction that confirms: the outbox's promise

Each app declares its notices in `<app>/notices.py` (imported when the app is ready); `NOTICES` maps every kind to
its class, and the tests hold it equal to the template folders. A notice whose body carries a personal secret (a
link that logs someone in, sets a password or acts on their behalf) says `secret = True`: the outbox admin never
shows its body and the relay erases it once sent. Adding a message is one class and its three templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from notifications import outbox
from notifications.kinds import NOTICES


class Notice:
    kind: ClassVar[str]
    secret: ClassVar[bool] = False
    # The dedup key names a row the sending transaction has just created: no message can hold it yet.
    new_key: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is None:
            return  # an abstract base
        if kind in NOTICES and NOTICES[kind].__qualname__ != cls.__qualname__:
            raise ValueError(f"Two notices for the kind {kind!r}: {NOTICES[kind].__qualname__}, {cls.__qualname__}")
        NOTICES[kind] = cls

    def recipients(self) -> Iterable[str]:
        raise NotImplementedError

    def context(self) -> Mapping[str, Any]:
        raise NotImplementedError

    def dedup_key(self) -> str:
        raise NotImplementedError

    @property
    def recipient_count(self) -> int:
        """How many messages `send` would add at most (a job's dry run reports it)."""
        return len(outbox.recipients_of(self.recipients()))

    def send(self) -> int:
        """Enqueue one message per recipient in the caller's transaction; returns how many were added (0 when the
        dedup key was already used for every recipient)."""
        return outbox.enqueue(
            self.kind,
            to=list(self.recipients()),
            context=self.context(),
            dedup_key=self.dedup_key(),
            new_key=self.new_key,
        )

    @classmethod
    def on_transition(cls, transition: Any) -> int:
        """As a `tells` entry of a lifecycle act: the notice of the transition's object."""
        return cls.from_transition(transition).send()

    @classmethod
    def from_transition(cls, transition: Any) -> Notice:
        return cls(transition.obj)  # type: ignore[call-arg]  # subclasses are dataclasses of their object
