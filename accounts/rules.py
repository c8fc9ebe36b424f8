"""The vocabulary every app uses to refuse something and to move an object through its lifecycle.

It lives in `accounts` because every other app already depends on it (accounts ← sites ← missions ← billing).
"""

from collections.abc import Mapping


class RuleViolation(Exception):
    """A business rule said no. `code` is stable (clients branch on it); `message` is French, for a person."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class NotAllowed(RuleViolation):
    """The person acting may never do this (a role problem, not a state problem)."""

    def __init__(self, message: str = "Vous n'êtes pas autorisé à effectuer cette action."):
        super().__init__("not_allowed", message)


class Lifecycle:
    """One table of allowed transitions for one model's status field, enforced in one place."""

    def __init__(self, allowed: Mapping[str, set[str]], labels: Mapping[str, str]):
        self.allowed = {state: frozenset(targets) for state, targets in allowed.items()}
        self.labels = labels

    def can_move(self, current: str, target: str) -> bool:
        return target in self.allowed.get(current, frozenset())

    def check(self, current: str, target: str) -> None:
        if not self.can_move(current, target):
            raise RuleViolation(
                "invalid_transition",
                f"Impossible de passer de « {self.labels.get(current, current)} » "
                f"à « {self.labels.get(target, target)} ».",
            )
