"""The statement's lifecycle, declared once (core.transitions): draft → issued → paid.

- issue: draft → issued, by ARS staff of the CPAM's region, once the month is over; stamps issued_at/issued_by
  and tells the CPAM (billing.notices.StatementIssued). From then on the statement never changes (R9).
- mark_paid: issued → paid, by an agent of the statement's CPAM or ARS staff; stamps paid_at/paid_by.

Generation (a draft created or refreshed) is not an act: it writes lines, not a status (billing.services).

The engine saves the whole row. That is what the immutability guards expect: `Statement.save()` and the
PostgreSQL trigger (migration 0003) let an issued statement change only `status` (to paid), `paid_at` and
`paid_by`, and every other column is written back with the value it was read with, under the row's lock.
"""

from django.utils import timezone

from accounts.authority import may, require
from billing.models import Cpam, Statement, StatementStatus, month_label
from billing.notices import StatementIssued
from core.errors import Code, NotAllowed, RuleViolation
from core.transitions import Lifecycle, Transition, act

ARS_OF_THE_REGION_ONLY = "Seule l'équipe ARS de la région de cette CPAM peut générer ou émettre ses relevés."
DRAFT, ISSUED, PAID = StatementStatus.DRAFT, StatementStatus.ISSUED, StatementStatus.PAID


def _ars_of_the_region(by, statement: Statement) -> None:
    if by is None:
        raise NotAllowed("Un relevé est émis par une personne de l'équipe ARS.")
    require(by, "statement.issue", statement, ARS_OF_THE_REGION_ONLY)


def _cpam_agent_or_ars(by, statement: Statement) -> None:
    if not may(by, "statement.mark_paid", statement):
        raise NotAllowed("Seuls les agents de la CPAM de ce relevé peuvent le marquer payé.")


def _month_over(transition: Transition) -> None:
    """A month's statement is issued from the 1st of the next month: every day of it may still be attested."""
    statement = transition.obj
    if statement.month_end >= timezone.localdate():
        raise RuleViolation(
            Code.MONTH_NOT_OVER,
            f"Le mois de {month_label(statement.month)} n'est pas terminé : "
            "son relevé ne peut être émis qu'à partir du 1er du mois suivant.",
        )


def _lock(statement: Statement) -> Statement:
    """The row, locked, with what the CPAM's notice reads (its CPAM and department).

    The CPAM's row first, as generation does (billing.services) and a correction of an attestation does
    (billing.receivers): a site's correction of a day of this statement either lands before the issue (and the
    draft it refreshed is what is issued) or waits for it and is refused (the day is then on an issued statement)."""
    Cpam.objects.select_for_update().filter(pk=statement.cpam_id).values_list("pk", flat=True).first()
    return Statement.objects.select_for_update(of=("self",)).select_related("cpam__department").get(pk=statement.pk)


STATEMENT = Lifecycle.of(
    Statement,
    act(
        "issue",
        [DRAFT],
        ISSUED,
        label="émettre le relevé",
        permission=_ars_of_the_region,
        stamp="issued",
        # Checked under the lock, after the state (an issued statement is refused as such), before the save.
        also=_month_over,
        tells=[StatementIssued.on_transition],
    ),
    act(
        "mark_paid",
        [ISSUED],
        PAID,
        label="marquer le relevé payé",
        permission=_cpam_agent_or_ars,
        stamp="paid",
    ),
    lock=_lock,
)
