"""What billing holds on a doctor: the lines of CPAM statements for their days (export only).

Closing an account changes none of it: statement lines are accounting records of public money, kept as written
(see accounts.privacy).
"""

from accounts.privacy import register
from billing.models import StatementLine


def export_statement_lines(user) -> list[dict]:
    lines = (
        StatementLine.objects.filter(booking__doctor__user=user)
        .select_related("statement__cpam__department")
        .order_by("date", "sequence", "pk")
    )
    return [
        {
            "releve": line.statement.reference,
            "cpam": line.statement.cpam.name,
            "statut_du_releve": line.statement.get_status_display(),
            "type": line.get_kind_display(),
            "date": line.date,
            "periode": line.period_label,
            "lieu": line.site_name,
            "zone": line.zone_name,
            "fraction_de_journee": line.day_fraction,
            "forfait_journalier": line.rate,
            "montant": line.amount,
            "motif": line.note,
        }
        for line in lines
    ]


register("facturation", export=export_statement_lines, order=20)
