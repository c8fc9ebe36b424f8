"""The message of the Démarches Simplifiées import: a doctor whose dossier became a record here is invited to
choose a password (the password-reset link of accounts: a secret, never shown in the outbox admin, erased once
sent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from notifications.notices import Notice


@dataclass
class DsInvitation(Notice):
    kind = "ds_invitation"
    secret = True
    user: Any
    doctor: Any
    uid: str
    token: str

    def recipients(self) -> list[str]:
        return [self.user.email]

    def context(self) -> dict[str, Any]:
        return {"user": self.user, "doctor": self.doctor, "uid": self.uid, "token": self.token}

    def dedup_key(self) -> str:
        return f"doctor:{self.doctor.pk}:ds-invitation"
