"""The messages of monthly plans (notifications.notices): one per doctor with all their offers, and « a plan is
ready to review » to the region's ARS staff when the scheduled job proposes one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from missions.models import Doctor
from missions.notices import ars_recipients
from missions.rules import MONTHS_FR
from notifications.notices import Notice
from planning.models import Plan


@dataclass
class PlanOffers(Notice):
    """« Envoyer les propositions »: each doctor gets ONE message listing their offers of the plan, each with its
    signed link that books the slot in one step (missions' invitation), so it is a secret; and the link to decline."""

    kind = "plan_offers"
    secret = True
    plan: Plan
    doctor: Doctor
    offers: list[dict[str, Any]]  # {"slot": Slot, "accept_url": str, "decline_url": str}

    def recipients(self) -> list[str]:
        return [self.doctor.user.email]

    def context(self) -> dict[str, Any]:
        return {
            "doctor": self.doctor,
            "offers": self.offers,
            "month_label": f"{MONTHS_FR[self.plan.month.month - 1]} {self.plan.month.year}",
        }

    def dedup_key(self) -> str:
        return f"plan:{self.plan.pk}:offers:{self.doctor.pk}"


@dataclass
class PlanReady(Notice):
    """The scheduled job proposed a plan: the region's ARS staff review it before anything is sent."""

    kind = "plan_ready"
    plan: Plan
    url: str

    def recipients(self) -> list[str]:
        return ars_recipients(self.plan.region_id)

    def context(self) -> dict[str, Any]:
        return {
            "plan": self.plan,
            "url": self.url,
            "month_label": f"{MONTHS_FR[self.plan.month.month - 1]} {self.plan.month.year}",
            "figures": self.plan.figures,
        }

    def dedup_key(self) -> str:
        return f"plan:{self.plan.pk}:ready"
