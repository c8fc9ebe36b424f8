"""The former table of allowed transitions, until every lifecycle runs on core.transitions."""

from collections.abc import Mapping

from core.errors import RuleViolation


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
