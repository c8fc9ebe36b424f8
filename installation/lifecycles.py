"""The lifecycle of an installation lead (core.transitions), followed by the ARS installation referent:

    new → contacted → planning → installed
    new | contacted | planning → abandoned;  new → planning (a project already under way)

Every act is ARS staff's of the lead's region (accounts.authority « installation.follow »); the engine stamps who
and when, keeps the note given, writes the transition log, and django-simple-history keeps each version."""

from accounts.authority import Allowed
from core.transitions import Lifecycle, act
from installation.models import InstallationLead, LeadStatus

ARS_ONLY = "Seule l'équipe ARS de la région de cette demande peut la suivre."
follow = Allowed("installation.follow", ARS_ONLY)
NEW, CONTACTED, PLANNING = LeadStatus.NEW, LeadStatus.CONTACTED, LeadStatus.PLANNING
INSTALLED, ABANDONED = LeadStatus.INSTALLED, LeadStatus.ABANDONED

LEAD = Lifecycle.of(
    InstallationLead,
    act("contact", [NEW], CONTACTED, label="marquer le médecin contacté", permission=follow, stamp="contacted"),
    act("plan", [NEW, CONTACTED], PLANNING, label="passer la demande en projet", permission=follow),
    act(
        "install",
        [CONTACTED, PLANNING],
        INSTALLED,
        label="enregistrer l'installation",
        permission=follow,
        stamp="closed",
        reason_field="note",
    ),
    act(
        "abandon",
        [NEW, CONTACTED, PLANNING],
        ABANDONED,
        label="clore la demande (abandon)",
        permission=follow,
        stamp="closed",
        reason_field="note",
        reason_required="Indiquez pourquoi la demande est abandonnée.",
    ),
)
