"""The messages about accounts themselves (notifications.notices): a password reset link, and « this address
already has an account » for someone who filled in the registration form with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from notifications.notices import Notice


@dataclass
class PasswordReset(Notice):
    """The link sets a new password: a secret (never shown in the outbox admin, erased once sent)."""

    kind = "password_reset"
    secret = True
    user: Any
    uid: str
    token: str

    def recipients(self) -> list[str]:
        return [self.user.email]

    def context(self) -> dict[str, Any]:
        return {"uid": self.uid, "token": self.token, "user": self.user}

    def dedup_key(self) -> str:
        return f"password_reset:{self.uid}:{self.token}"


@dataclass
class AccountExists(Notice):
    """At most once a day per account: the key names the day."""

    kind = "account_exists"
    user: Any
    day: date

    def recipients(self) -> list[str]:
        return [self.user.email]

    def context(self) -> dict[str, Any]:
        return {"user": self.user}

    def dedup_key(self) -> str:
        return f"user:{self.user.pk}:account-exists:{self.day.isoformat()}"
