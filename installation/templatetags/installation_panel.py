"""`{% installation_panel %}`: the /ars/ dashboard's panel of installation leads per zone. A template tag, so that
the dashboard (missions, a lower app) shows it without importing this app."""

from typing import Any

from django import template
from django.urls import reverse

from accounts.authority import is_ars_staff
from installation.queries import leads_per_zone

register = template.Library()


@register.inclusion_tag("installation/ars_panel.html", takes_context=True)
def installation_panel(context: template.Context) -> dict[str, Any]:
    user = context["request"].user
    if not is_ars_staff(user):
        return {"rows": []}
    return {"rows": leads_per_zone(user), "admin_leads": reverse("admin:installation_installationlead_changelist")}
