"""What the Démarches Simplifiées link holds on a doctor (the dossier their record came from), and how closing
their account erases it. Registered with accounts.privacy, which finds this module.

The dossier itself lives in DS (its retention is the démarche's); here closure keeps only the dossier's number and
states (a decision still queued for DS must find its dossier), and erases the names, address and the reasons it
waited « à compléter » (which may quote what the person typed)."""

from accounts.privacy import ANONYMOUS_FIRST_NAME, ANONYMOUS_LAST_NAME, register
from demarches.models import Dossier


def _dossier_of(user) -> Dossier | None:
    return Dossier.objects.filter(doctor__user=user).first()


def export_dossier(user) -> dict | None:
    dossier = _dossier_of(user)
    if dossier is None:
        return None
    decision = getattr(dossier, "decision", None)
    return {
        "numero_de_dossier": dossier.number,
        "etat_dans_demarches_simplifiees": dossier.get_state_display(),
        "import": dossier.get_status_display(),
        "modifie_dans_ds_le": dossier.ds_updated_at,
        "lu_le": dossier.synced_at,
        "decision_transmise": None
        if decision is None
        else {"decision": decision.get_kind_display(), "envoi": decision.get_status_display(), "le": decision.sent_at},
    }


def close_dossier(user, by) -> None:
    Dossier.objects.filter(doctor__user=user).update(
        email="", first_name=ANONYMOUS_FIRST_NAME, last_name=ANONYMOUS_LAST_NAME, problems=[], note=""
    )


register("demarches-simplifiees", export=export_dossier, close=close_dossier, order=15)
