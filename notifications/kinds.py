"""The registry of message kinds, filled by `notifications.notices.Notice` subclasses as each app's notices.py
loads. It imports nothing, so that the relay and the outbox admin can ask « is this kind secret? » without loading
the notices (which enqueue through the outbox, which asks for the relay)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.notices import Notice

NOTICES: dict[str, type[Notice]] = {}


def notice_class(kind: str) -> type[Notice] | None:
    return NOTICES.get(kind)


def is_secret(kind: str) -> bool:
    """Does a message of this kind carry a personal secret? The outbox admin never shows its body; the relay erases
    it once sent (the subject, recipient and dates stay for the trail)."""
    notice = NOTICES.get(kind)
    return bool(notice and notice.secret)


def secret_kinds() -> frozenset[str]:
    """Every kind whose notice says `secret = True` (to filter the outbox in SQL)."""
    return frozenset(kind for kind, notice in NOTICES.items() if notice.secret)
