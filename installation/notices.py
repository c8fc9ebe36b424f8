"""The message installation sends (notifications.notices): a volunteer asked to know more about settling in a
place — to the ARS installation referents of its department (the ARS's contact address when it has none yet)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

from installation.models import InstallationLead, InstallationReferent
from notifications.notices import Notice


@dataclass
class LeadReceived(Notice):
    kind = "installation_lead"
    new_key = True
    lead: InstallationLead

    def recipients(self) -> list[str]:
        referents = InstallationReferent.objects.filter(department_id=self.lead.department_id, active=True)
        emails = sorted(referents.values_list("email", flat=True))
        return emails or [settings.ARS_CONTACT_EMAIL]

    def context(self) -> dict[str, Any]:
        return {
            "lead": self.lead,
            "doctor": self.lead.doctor,
            "department": self.lead.department,
            "place": self.lead.place_name,
            "url": settings.SITE_URL + reverse("admin:installation_installationlead_change", args=[self.lead.pk]),
        }

    def dedup_key(self) -> str:
        return f"installation-lead:{self.lead.pk}:received"
