"""Every write on statements and dedicated billing numbers. The only way their state changes.

Generation for (CPAM, month) restores, for every booking the CPAM pays, « the net of its lines = what is owed »
(see StatementLine): it appends a line for each attested day not yet stated, dated up to the end of the month
(so a late day lands in the next statement generated, with its own date of service), and a reversal for each
stated day of an issued statement that is no longer owed as stated (R9). It runs under a lock on the CPAM row:
two generations for one CPAM serialise, and (booking, sequence) being unique stops any day being stated twice.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.authority import is_ars_staff, may, require, visible
from accounts.models import User
from billing.lifecycles import ARS_OF_THE_REGION_ONLY, STATEMENT
from billing.lines import SNAPSHOT
from billing.models import Cpam, Statement, StatementLine, StatementStatus, month_label
from billing.notices import BillingNumberRecorded
from billing.queries import cpam_of_department, payer_cpam_for, payer_department_lookup
from billing.rates import RateTable, amount_for
from core.errors import Code, NotAllowed, RuleViolation
from core.history import set_history_user
from missions.lifecycles import BILLING_NUMBER
from missions.models import Booking, Doctor
from sites.models import HostSite, Period, Zone

BATCH = 2000  # rows fetched at a time
WRITE_BATCH = 10_000  # lines written at a time
PERIOD_LABELS = dict(Period.choices)
BOOKING_STATUS_LABELS = dict(Booking.Status.choices)
ZERO = Decimal("0")
LINE = StatementLine.Kind.LINE
REVERSAL = StatementLine.Kind.REVERSAL
COMPLETED = Booking.Status.COMPLETED


def _statement_refused() -> RuleViolation:
    return RuleViolation(
        "statement_issued",
        "Ce relevé est déjà émis : il ne change plus. Les journées attestées depuis et les corrections "
        "iront dans le relevé du mois suivant.",
    )


# --- generation --------------------------------------------------------------------------------------------------


def _live_lines():
    """Lines that state a day now: kind `line`, not reversed."""
    reversed_ = StatementLine.objects.filter(reverses=OuterRef("pk"))
    return StatementLine.objects.filter(kind=LINE).filter(~Exists(reversed_))


def _drop_draft_tail(statement: Statement) -> None:
    """Remove the lines of a draft that nothing stated later depends on, so they can be recomputed.

    A draft's line is kept only when a later line of the same booking exists elsewhere (e.g. a reversal here
    followed by a new line in another CPAM's statement): the alternating chain of each booking stays whole.
    No reversal ever points at a draft's line (only issued lines are reversed): the tail goes with one plain
    DELETE, without loading 100,000 objects to look for protected references.
    """
    later_elsewhere = (
        StatementLine.objects.filter(booking=OuterRef("booking"))
        .exclude(statement=statement)
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    tail = statement.lines.annotate(outside=Coalesce(Subquery(later_elsewhere), 0)).filter(sequence__gt=F("outside"))
    sql, params = tail.values("pk").query.sql_with_params()
    table = connection.ops.quote_name(StatementLine._meta.db_table)
    with connection.cursor() as cursor:
        # The subquery is wrapped once more so that no database reads the table it deletes from in the same scan.
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT * FROM ({sql}) AS tail)", params)


def _reversals(statement: Statement, rates: RateTable, booking_id: int | None = None) -> Iterator[dict]:
    """Reversals of this CPAM's issued lines (dated up to the month's end) that are no longer owed as stated.

    One query of plain values; the rate now in force comes from the loaded rates, not a subquery per line."""
    stale = (
        _live_lines()
        .filter(statement__cpam_id=statement.cpam_id, date__lte=statement.month_end)
        .exclude(statement__status=StatementStatus.DRAFT)
        .annotate(rate_now=rates.in_force("booking__date"))
        .filter(
            ~Q(booking__status=COMPLETED)
            | ~Q(day_fraction=F("booking__day_fraction"))
            | Q(rate_now__isnull=True)
            | ~Q(rate=F("rate_now"))
        )
        .filter(**({"booking_id": booking_id} if booking_id is not None else {}))
        .order_by("pk")
        .values_list(
            "pk",
            "sequence",
            "booking_id",
            "booking__status",
            "booking__correction_reason",
            "statement__month",
            *SNAPSHOT,
            "day_fraction",
            "rate",
            "amount",
            "consultations",
        )
    )
    references: dict[date, str] = {}
    for (
        pk,
        sequence,
        booking_id,
        status,
        correction_reason,
        month,
        *snapshot,
        fraction,
        rate,
        amount,
        consultations,
    ) in stale.iterator(chunk_size=BATCH):
        if status != COMPLETED:
            why = f"attestation corrigée ({BOOKING_STATUS_LABELS.get(status, status).lower()})"
            if correction_reason:
                why += f" : {correction_reason}"
        else:
            why = "forfait ou durée corrigé(e), journée refacturée sur une nouvelle ligne"
        if month not in references:  # the reversed line's statement is of this same CPAM
            references[month] = Statement(cpam=statement.cpam, month=month).reference
        yield {
            **dict(zip(SNAPSHOT, snapshot, strict=True)),
            "booking_id": booking_id,
            "kind": REVERSAL,
            "sequence": sequence + 1,
            "reverses_id": pk,
            "day_fraction": -fraction,
            "rate": rate,
            "amount": -amount,
            "note": f"Annule la ligne du relevé {references[month]} : {why}"[:500],
            "consultations": None if consultations is None else -consultations,
        }


def _new_lines(statement: Statement, rates: RateTable, booking_id: int | None = None) -> Iterator[dict]:
    """A line for every attested day this CPAM pays, dated up to the month's end, that no live line states.

    Read as plain values (not model instances): a statement may hold 100,000 days. The days are read without
    the names of their doctor, site and zone, which come from three lookups read once: PostgreSQL cannot
    estimate how many bookings « no live line » leaves (it assumes one), and joining sites, communes and zones
    after it ended in nested loops over full scans (from 2 s to more than 10 minutes on the national bench,
    depending on the statistics of the day). What repeats across lines (the rate of a date, the amount of a
    rate and fraction, the note of a month) is also worked out once."""
    payer = {f"{payer_department_lookup()}_id": statement.cpam.department_id}
    paid = Booking.objects.filter(status=COMPLETED, date__lte=statement.month_end).filter(**payer)
    if booking_id is not None:
        paid = paid.filter(pk=booking_id)
    doctors = {
        pk: (last_name, first_name, rpps, number)
        for pk, last_name, first_name, rpps, number in Doctor.objects.filter(pk__in=paid.values("doctor_id"))
        .order_by()
        .values_list("pk", "last_name", "first_name", "rpps", "billing_number")
    }
    sites = {
        pk: (name, finess or "", commune)
        for pk, name, finess, commune in HostSite.objects.filter(pk__in=paid.values("slot__site_id"))
        .order_by()
        .values_list("pk", "name", "finess", "commune__name")
    }
    zones = dict(Zone.objects.filter(pk__in=paid.values("zone_id")).order_by().values_list("pk", "name"))
    last_sequence = StatementLine.objects.filter(booking=OuterRef("pk")).order_by("-sequence").values("sequence")[:1]
    days = (
        paid.filter(~Exists(_live_lines().filter(booking=OuterRef("pk"))))
        .annotate(last_sequence=Coalesce(Subquery(last_sequence), 0))
        .order_by("pk")
        .values_list(
            "pk",
            "last_sequence",
            "doctor_id",
            "slot__site_id",
            "zone_id",
            "date",
            "period",
            "day_fraction",
            "consultations",
        )
    )
    rate_on, amount_of = cache(rates.rate_for), cache(amount_for)
    late_note = cache(lambda first: f"Journée de {month_label(first)} attestée ou corrigée après son relevé")
    for pk, last, doctor_id, site_id, zone_id, day, period, fraction, consultations in days.iterator(chunk_size=BATCH):
        rate = rate_on(day)
        amount = amount_of(rate, fraction)
        note = late_note(day.replace(day=1)) if day < statement.month else ""
        last_name, first_name, rpps, number = doctors[doctor_id]
        site, finess, commune = sites[site_id]
        yield {
            "booking_id": pk,
            "kind": LINE,
            "sequence": last + 1,
            "reverses_id": None,
            "doctor_last_name": last_name,
            "doctor_first_name": first_name,
            "doctor_rpps": rpps,
            "doctor_billing_number": number,
            "date": day,
            "period": period,
            "period_label": PERIOD_LABELS.get(period, period),
            "site_name": site,
            "site_finess": finess,
            "site_commune": commune,
            "zone_name": zones[zone_id],
            "day_fraction": fraction,
            "rate": rate,
            "amount": amount,
            "note": note,
            "consultations": consultations,
        }


@dataclass
class _Totals:
    """Count, days and amount of lines, summed as Decimal in Python (no floating point, whatever the database)."""

    count: int = 0
    days: Decimal = ZERO
    amount: Decimal = ZERO

    def add(self, day_fraction: Decimal, amount: Decimal) -> None:
        self.count += 1
        self.days += day_fraction
        self.amount += amount


# The columns a line is written with, in order: the statement and the time, then what generation computes.
_COMPUTED = tuple(
    f.attname
    for f in StatementLine._meta.concrete_fields
    if not f.primary_key and f.attname not in ("statement_id", "created_at")
)


def _insert(statement: Statement, rows: Iterable[dict], totals: _Totals) -> None:
    """Write lines in batches, adding them to `totals`; the statement row is written before the first batch,
    only if there is one.

    PostgreSQL gets a COPY per batch (an INSERT per row costs a round trip and a plan each: 19 s for 100,000
    lines, against 3 s); other databases a prepared INSERT run over the batch (executemany). Batches, not one
    stream: the rows are read through a server-side cursor of the same connection, which cannot fetch while a
    COPY is under way."""
    batch = []
    for row in rows:
        totals.add(row["day_fraction"], row["amount"])
        batch.append(row)
        if len(batch) >= WRITE_BATCH:
            _write_batch(statement, batch)
            batch = []
    if batch:
        _write_batch(statement, batch)


def _write_batch(statement: Statement, rows: list[dict]) -> None:
    if statement.pk is None:
        statement.save()
    common = (statement.pk, timezone.now())
    values = itemgetter(*_COMPUTED)
    table = connection.ops.quote_name(StatementLine._meta.db_table)
    fields = StatementLine._meta.concrete_fields  # named, as get_field allows, by name or attname (booking_id)
    column_of = {name: field.column for field in fields for name in (field.name, field.attname)}
    columns = ", ".join(connection.ops.quote_name(column_of[name]) for name in ("statement", "created_at", *_COMPUTED))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(common + values(row))
        else:
            placeholders = ", ".join(["%s"] * (2 + len(_COMPUTED)))
            cursor.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",
                [_adapt(common + values(row)) for row in rows],
            )


def _adapt(row: tuple) -> tuple:
    """Dates and times as the database backend stores them (PostgreSQL's COPY takes them as they are)."""
    ops = connection.ops
    return tuple(
        ops.adapt_datetimefield_value(value)
        if isinstance(value, datetime)
        else ops.adapt_datefield_value(value)
        if isinstance(value, date)
        else value
        for value in row
    )


def _require_ars_or_job(by: User | None, act: str, obj: Cpam) -> None:
    """`by` is ARS staff of the CPAM's region, or None: the monthly job, which acts for every region."""
    if by is not None:
        require(by, act, obj, ARS_OF_THE_REGION_ONLY)


def _first_of_month(month: date) -> date:
    month = month.replace(day=1)
    if month > timezone.localdate():
        raise RuleViolation("month_in_future", f"Le mois de {month_label(month)} n'a pas encore commencé.")
    return month


def generate_statement(cpam: Cpam, month: date, *, by: User | None = None) -> Statement | None:
    """Create or refresh the draft statement of `cpam` for `month`; None when there is nothing to state.

    Idempotent: run twice, it yields the same lines. An issued or paid statement is refused (`statement_issued`).
    `by` is the ARS staff member acting, or None for the monthly job. Its number of queries does not depend
    on the number of lines (they are read through cursors and written with one COPY, or in batches).
    """
    _require_ars_or_job(by, "statement.generate", cpam)
    month = _first_of_month(month)
    rates = RateTable.load()
    with transaction.atomic():
        cpam = Cpam.objects.select_for_update(of=("self",)).select_related("department").get(pk=cpam.pk)
        statement = Statement.objects.select_for_update().filter(cpam=cpam, month=month).first()
        if statement is not None and statement.is_frozen:
            raise _statement_refused()
        now = timezone.now()
        totals = _Totals()
        if statement is None:
            statement = Statement(cpam=cpam, month=month, generated_at=now, generated_by=by)
        else:
            statement.cpam = cpam
            _drop_draft_tail(statement)
            for line_days, line_amount in statement.lines.values_list("day_fraction", "amount"):  # lines kept
                totals.add(line_days, line_amount)
        set_history_user(statement, by)
        _insert(statement, _reversals(statement, rates), totals)
        _insert(statement, _new_lines(statement, rates), totals)
        if statement.pk is None:
            return None
        if totals.count == 0:
            statement.delete()
            return None
        statement.line_count, statement.total_days, statement.total_amount = totals.count, totals.days, totals.amount
        statement.generated_at, statement.generated_by = now, by
        statement.save()
    return statement


@dataclass
class GenerationResult:
    statements: list[Statement] = field(default_factory=list)  # created or refreshed drafts
    already_issued: list[Statement] = field(default_factory=list)  # left untouched (R9)


def generate_statements(month: date, *, by: User | None = None) -> GenerationResult:
    """Generate the month's statement of every CPAM with something to state; issued ones are left alone.

    ARS staff generate those of their region's CPAMs; the monthly job (`by=None`) those of every CPAM."""
    if by is not None and not is_ars_staff(by):
        raise NotAllowed(ARS_OF_THE_REGION_ONLY)
    cpams = Cpam.objects.all() if by is None else visible(by, Cpam)
    month = _first_of_month(month)
    result = GenerationResult()
    issued = {
        s.cpam_id: s
        for s in Statement.objects.filter(month=month).exclude(status=StatementStatus.DRAFT).select_related("cpam")
    }
    for cpam in cpams.select_related("department").order_by("department__code"):
        if cpam.pk in issued:
            result.already_issued.append(issued[cpam.pk])
            continue
        try:
            statement = generate_statement(cpam, month, by=by)
        except RuleViolation as exc:
            if exc.code != "statement_issued":  # issued meanwhile by someone else: leave it
                raise
            continue
        if statement is not None:
            result.statements.append(statement)
    return result


# --- corrections of attestations (missions.services.correct_attestation, through billing.receivers) -------------


def lock_for_correction(booking: Booking, *, by_site: bool) -> Cpam | None:
    """Before an attestation is corrected: lock the paying CPAM's row (the lock generation and issue take first,
    so the three serialise), then refuse a host site's correction of a day already on an issued statement.

    Returns the CPAM locked (None when its department has no CPAM on file: no statement can state the day)."""
    cpam = payer_cpam_for(booking)
    if cpam is not None:
        Cpam.objects.select_for_update().filter(pk=cpam.pk).values_list("pk", flat=True).first()
    if by_site:
        stated = (
            StatementLine.objects.filter(booking_id=booking.pk)
            .exclude(statement__status=StatementStatus.DRAFT)
            .select_related("statement__cpam__department")
            .order_by("sequence")
            .first()
        )
        if stated is not None:
            raise RuleViolation(
                Code.ATTESTATION_STATED,
                f"Cette journée figure déjà sur le relevé {stated.statement.reference} émis à la CPAM : "
                "le lieu d'accueil ne peut plus corriger son attestation. Demandez la correction à l'équipe ARS "
                "de votre région, qui l'enregistrera et l'annulera sur le prochain relevé.",
            )
    return cpam


def refresh_drafts_after_correction(booking: Booking) -> list[Statement]:
    """After an attestation is corrected: the paying CPAM's drafts from the day's month on state the day as it now
    is — what generation would write for it, for this day only (a draft may hold 100,000 lines: generating it
    again took 30 s on the national bench). Its lines at the drafts' tail go, then the earliest draft gets the
    reversal and the new line the day now needs; each draft's totals follow. Under the CPAM's lock, taken before.
    """
    cpam = payer_cpam_for(booking)
    if cpam is None:
        return []
    drafts = list(
        Statement.objects.select_for_update()
        .filter(cpam=cpam, status=StatementStatus.DRAFT, month__gte=booking.date.replace(day=1))
        .order_by("month")
    )
    if not drafts:
        return []
    for statement in reversed(drafts):  # the latest first: an earlier draft's line may precede a later one's
        later_elsewhere = (
            StatementLine.objects.filter(booking_id=booking.pk)
            .exclude(statement=statement)
            .order_by("-sequence")
            .values_list("sequence", flat=True)
            .first()
        ) or 0
        tail = statement.lines.filter(booking_id=booking.pk, sequence__gt=later_elsewhere)
        for day_fraction, amount in tail.values_list("day_fraction", "amount"):
            statement.line_count -= 1
            statement.total_days -= day_fraction
            statement.total_amount -= amount
        tail.delete()
    rates = RateTable.load()
    first = drafts[0]
    totals = _Totals()
    first.cpam = cpam
    _insert(first, _reversals(first, rates, booking.pk), totals)
    _insert(first, _new_lines(first, rates, booking.pk), totals)
    first.line_count += totals.count
    first.total_days += totals.days
    first.total_amount += totals.amount
    kept = []
    for statement in drafts:
        set_history_user(statement, None)
        if statement.line_count == 0:
            statement.delete()
        else:
            statement.save(update_fields=["line_count", "total_days", "total_amount"])
            kept.append(statement)
    return kept


# --- lifecycle (billing.lifecycles) -------------------------------------------------------------------------------


def issue_statement(statement: Statement, *, by: User) -> Statement:
    """ARS staff issue a draft: from now on it never changes (R9), and its CPAM is told where to find it."""
    return STATEMENT.run(statement, "issue", by=by)


def can_mark_paid(user: User, statement: Statement) -> bool:
    return may(user, "statement.mark_paid", statement)


def mark_statement_paid(statement: Statement, *, by: User) -> Statement:
    """An agent of the statement's CPAM (or ARS staff) records that it has been paid."""
    return STATEMENT.run(statement, "mark_paid", by=by)


# --- dedicated billing number ----------------------------------------------------------------------------------

# The Assurance Maladie number of a doctor is 9 digits today; we accept 8 to 20 digits (the width of the field)
# so that a format change at the CNAM does not block agents, and we drop the spaces, dots and dashes people type.
BILLING_NUMBER_RE = re.compile(r"[0-9]{8,20}")


def normalise_billing_number(number: str) -> str:
    return re.sub(r"[\s.\-]", "", number or "")


def record_billing_number(doctor: Doctor, *, number: str, by: User) -> Doctor:
    """An agent of the doctor's CPAM de rattachement (or ARS staff) records the dedicated number."""
    require(
        by,
        "doctor.billing_number",
        doctor,
        "Seuls les agents de la CPAM de rattachement du médecin peuvent enregistrer ce numéro.",
    )
    number = normalise_billing_number(number)
    if not BILLING_NUMBER_RE.fullmatch(number):
        raise ValidationError(
            {"billing_number": ["Le numéro Assurance Maladie dédié doit compter de 8 à 20 chiffres (9 en général)."]}
        )
    with transaction.atomic():
        doctor = Doctor.objects.select_for_update().get(pk=doctor.pk)
        if doctor.status not in (Doctor.Status.VALIDATED, Doctor.Status.SUSPENDED):
            raise RuleViolation(
                "doctor_not_validated", "Ce médecin n'est pas validé par l'ARS : pas de numéro dédié à enregistrer."
            )
        if Doctor.objects.filter(billing_number=number).exclude(pk=doctor.pk).exists():
            raise ValidationError({"billing_number": ["Ce numéro est déjà attribué à un autre médecin."]})
        if doctor.billing_number == number:
            return doctor  # the same number again (a second click): nothing to record or tell
        # A step of the volunteer's file (missions.lifecycles): stamped, logged, and told to the doctor.
        doctor = BILLING_NUMBER.run(
            doctor, "record_billing_number", by=by, changes={"billing_number": number}, locked=True
        )
        BillingNumberRecorded(doctor, cpam_of_department(doctor.practice_department_id)).send()
    return doctor
