"""The columns of a statement line, declared once: what generation writes and reversals copy (billing.services),
what the API shows (billing.api), the order lines are read in (pages, exports, totals), and the bench's bulk load.

The exports' own layout (headers, widths, the order of the spreadsheet's columns, only ever appended to) is
billing.exports.columns.COLUMNS; each of its columns reads one of these fields.
"""

# What a line copies from the live rows when it is written (doctor, day, site, zone), and a reversal from the line
# it cancels: never recomputed afterwards (StatementLine).
SNAPSHOT: tuple[str, ...] = (
    "doctor_last_name",
    "doctor_first_name",
    "doctor_rpps",
    "doctor_billing_number",
    "date",
    "period",
    "period_label",
    "site_name",
    "site_finess",
    "site_commune",
    "zone_name",
)

# What a line counts: amount = rate × day_fraction (R7); negated on a reversal.
FIGURES: tuple[str, ...] = ("day_fraction", "rate", "amount")

# What the day achieved: the consultations the site attested (copied from the booking when the line is written;
# negated on a reversal, so that a column sums to what stands). Empty on lines written before it was recorded.
OUTCOME: tuple[str, ...] = ("consultations",)

# What a line states, in the order the API lists it.
FIELDS: tuple[str, ...] = ("id", "kind", "sequence", "booking", "reverses", *SNAPSHOT, *FIGURES, "note", *OUTCOME)

# The order a CPAM agent reads lines in: by doctor, then by day (the model's default ordering too).
READING_ORDER: tuple[str, ...] = ("doctor_last_name", "doctor_first_name", "doctor_rpps", "date", "sequence")
