"""What the installation app holds on a doctor: their « en savoir plus » leads (the place, their message, the
follow-up). Closing the account erases the messages they wrote, in the leads and in their history; the leads stay
(their doctor anonymised by missions.privacy) so that the ARS's counts of leads and installations hold."""

from accounts.privacy import register
from installation.models import InstallationLead


def export_leads(user) -> list[dict]:
    leads = InstallationLead.objects.filter(doctor__user=user).select_related("zone", "commune", "department")
    return [
        {
            "lieu": lead.place_name,
            "departement": lead.department.name,
            "message": lead.message,
            "statut": lead.get_status_display(),
            "recue_le": lead.created_at,
        }
        for lead in leads.order_by("created_at", "pk")
    ]


def close_leads(user, by) -> None:
    leads = InstallationLead.objects.filter(doctor__user=user)
    InstallationLead.history.filter(id__in=leads.values("pk")).update(message="")
    leads.update(message="")


register("installation", export=export_leads, close=close_leads, order=30)
