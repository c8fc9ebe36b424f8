"""The audit trail of consultations: every time ARS staff open a doctor's record, a row says who, what and when.

Changes are already kept by django-simple-history; this records *reads*. The pages that show a personal record
are listed once in `AUDITED_VIEWS` (view name → the kind of record and the URL argument naming it), whatever
serves them (admin, ARS web pages, API), so a new page showing a doctor is audited by adding one line here.
"""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from accounts.authority import is_ars_staff, scope_of
from accounts.models import AccessLog


@dataclass(frozen=True)
class AuditedView:
    object_type: str
    kwarg: str


DOCTOR = "missions.doctor"

AUDITED_VIEWS: dict[str, AuditedView] = {
    "admin:missions_doctor_change": AuditedView(DOCTOR, "object_id"),
    "admin:missions_doctor_history": AuditedView(DOCTOR, "object_id"),
    "admin:missions_doctor_delete": AuditedView(DOCTOR, "object_id"),
    "admin:accounts_user_change": AuditedView("accounts.user", "object_id"),
    "api:doctor-detail": AuditedView(DOCTOR, "pk"),
}


# Lists and searches of these records are personal data read in bulk: each admin changelist or autocomplete
# search of them leaves one row (who, when, what filter, how many records).
BULK_AUDITED: frozenset[str] = frozenset(
    {
        "missions.doctor",
        "missions.availability",
        "missions.booking",
        "billing.statementline",
        "accounts.user",
        "notifications.message",
    }
)


def record_access(*, user, object_type: str, object_id: object, view_name: str, path: str) -> AccessLog:
    return AccessLog.objects.create(
        user=user, object_type=object_type, object_id=str(object_id)[:64], view_name=view_name, path=path[:500]
    )


def record_bulk_access(*, user, object_type: str, view_name: str, path: str, query: str, count: int) -> AccessLog:
    """A list, a search or an export of personal records: who, when, what filter, how many records."""
    return AccessLog.objects.create(
        user=user,
        object_type=object_type,
        object_id="",
        view_name=view_name,
        path=path[:500],
        query=query[:1000],
        record_count=count,
    )


def reads_others_records(user) -> bool:
    """Does this person's list or export show other people's records? ARS staff, host-site members and CPAM agents
    do; a doctor reading only their own bookings does not (logging that would bury the log in noise)."""
    scope = scope_of(user)
    return scope.ars or bool(scope.site_ids) or bool(scope.cpam_ids)


def record_bulk_read(request: HttpRequest, *, object_type: str, count: int) -> AccessLog | None:
    """One row for a list, a search or an export a door served: who, the path, the query string, how many records.

    Called by the doors themselves (API lists, /ars/, /cpam/, statement exports) after they built the response."""
    user = getattr(request, "user", None)
    if not reads_others_records(user):
        return None
    match = getattr(request, "resolver_match", None)
    return record_bulk_access(
        user=user,
        object_type=object_type,
        view_name=match.view_name if match else "",
        path=request.path,
        query=request.META.get("QUERY_STRING", ""),
        count=count,
    )


class AccessLogMiddleware:
    """After a successful `GET` of an audited page by ARS staff, records the consultation."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or request.method not in ("GET", "HEAD") or response.status_code != 200:
            return response
        audited = AUDITED_VIEWS.get(match.view_name)
        if audited is None or audited.kwarg not in match.kwargs:
            return response
        user = getattr(request, "user", None)
        if is_ars_staff(user):
            record_access(
                user=user,
                object_type=audited.object_type,
                object_id=match.kwargs[audited.kwarg],
                view_name=match.view_name,
                path=request.path,
            )
        return response
