"""Who may see and do what, and where: the one definition every door asks.

Every door — the API, the web pages, the admin, the exports, the iCal feed and the jobs — asks this module, and
only this module, two questions:

- `visible(user, Model)`: the queryset of `Model` the person may see (anything else is a 404 or absent from a list);
- `may(user, act, obj)` / `require(user, act, obj)`: may the person do `act` to `obj` (a service's `by=` check).

Roles are derived from memberships (DESIGN §2): a user may hold several, and sees the union of what each shows.

- **Superusers** (active) are national: everything, and they alone manage accounts, groups, permissions and
  memberships (ARS, host site, CPAM), read the consultation log and the technical tables.
- **ARS staff** (`is_staff`, active) act within the region(s) of their `ArsMembership` rows, and only there:
  its zones, host sites, slots and bookings (by the zone of the slot), its departments' CPAM and their
  statements, and the doctors *of the region* — a doctor is of a region when one of the zones they declared to
  cover, their main practice (`practice_department`) or one of their bookings (by zone) lies in it. National
  reference data (regions, departments, EPCI, communes, flat rates) is readable, never writable. A staff user with
  no region sees nothing (`Scope.staff_without_region`, which the doors tell them about).
- **Host-site members** see their sites, their slots (closed ones included) and the bookings made on them.
- **CPAM agents** see their CPAM, its issued and paid statements, and the doctors and bookings of the doctors
  whose CPAM de rattachement it is (R8: the department of the main practice).
- **Doctors** see themselves, their availability and bookings.
- Every signed-in person sees the catalogue a volunteer searches: active zones, active host sites and open slots.

Models are named by their `app_label.model_name` so that this module sits under every app without importing
their models at import time (the same way Django names related models in strings).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache, reduce
from operator import or_
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connections, router
from django.db.models import Model, Q, QuerySet, Value

from core.errors import NotAllowed

if TYPE_CHECKING:
    from accounts.models import User

ARS_GROUP = "Équipe ARS"


@dataclass(frozen=True)
class Scope:
    """What one person holds, read once per request (cached on the user object)."""

    user_id: int | None
    national: bool = False
    staff: bool = False
    region_ids: frozenset[int] = frozenset()
    site_ids: frozenset[int] = frozenset()
    cpam_ids: frozenset[int] = frozenset()
    doctor_id: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def regional(self) -> bool:
        """ARS staff acting for at least one region (not national)."""
        return self.staff and not self.national and bool(self.region_ids)

    @property
    def staff_without_region(self) -> bool:
        """A staff account that no region was given: it sees nothing until a superuser assigns one."""
        return self.staff and not self.national and not self.region_ids

    @property
    def ars(self) -> bool:
        """Acts as the ARS (national or for a region)."""
        return self.national or self.regional


ANONYMOUS = Scope(user_id=None)
_CACHE_ATTRIBUTE = "_authority_scope"


def scope_of(user) -> Scope:
    """The person's scope. Read from the database once per user object (a request's `request.user`)."""
    if user is None or not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return ANONYMOUS
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cached
    held = _memberships(user.pk)
    scope = Scope(
        user_id=user.pk,
        national=bool(user.is_superuser),
        staff=bool(user.is_staff),
        region_ids=frozenset(held["region"]) if user.is_staff else frozenset(),
        site_ids=frozenset(held["site"]),
        cpam_ids=frozenset(held["cpam"]),
        doctor_id=next(iter(held["doctor"]), None),
    )
    setattr(user, _CACHE_ATTRIBUTE, scope)
    return scope


_MEMBERSHIP_SOURCES = {  # kind: (model, the id column read)
    "region": ("sites.ArsMembership", "region_id"),
    "site": ("sites.SiteMembership", "site_id"),
    "cpam": ("billing.CpamMembership", "cpam_id"),
    "doctor": ("missions.Doctor", "pk"),
}
_SOMEONE = -(2**62)  # a user id no one has: where it lands in the compiled query, each person's id goes


def _memberships_union(user_id: int) -> QuerySet:
    kinds = [
        apps.get_model(label).objects.filter(user_id=user_id).order_by().values_list(Value(kind), column)
        for kind, (label, column) in _MEMBERSHIP_SOURCES.items()
    ]
    first, *others = kinds
    return first.union(*others, all=True)


@lru_cache(maxsize=4)
def _memberships_statement(alias: str, vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The UNION ALL of `_memberships`, compiled by the ORM once per process and database: every request asks it,
    and building four querysets and their union cost more CPU than PostgreSQL spends answering (issue #20)."""
    sql, params = _memberships_union(_SOMEONE).query.get_compiler(using=alias).as_sql()
    return sql, tuple(params)


def _memberships(user_id: int) -> dict[str, list[int]]:
    """Every membership of a person in one query: (kind, id) rows of a UNION ALL."""
    alias = router.db_for_read(apps.get_model("sites.ArsMembership"))
    connection = connections[alias]
    sql, params = _memberships_statement(alias, connection.vendor)
    held: dict[str, list[int]] = {kind: [] for kind in _MEMBERSHIP_SOURCES}
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id if type(p) is int and p == _SOMEONE else p for p in params])
        for kind, pk in cursor.fetchall():
            held[kind].append(pk)
    return held


def forget_scope(user) -> None:
    """After a membership of this user object changed (tests, a superuser editing themselves)."""
    if user is not None and hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


# --- roles, as the doors ask them --------------------------------------------------------------------------


def is_ars_staff(user) -> bool:
    """ARS staff acting for a region, or a superuser (national)."""
    return scope_of(user).ars


def is_staff_without_region(user) -> bool:
    return scope_of(user).staff_without_region


def is_superuser(user) -> bool:
    return scope_of(user).national


def is_doctor(user) -> bool:
    """Has a Doctor record: read from the scope (one compiled query for every role), not by loading the whole
    Doctor row through `user.doctor` (issue #20: that load was a tenth of the booking's CPU)."""
    return scope_of(user).doctor_id is not None


def doctor_id(user) -> int | None:
    """The id of the person's Doctor record, if they have one (from the scope, without loading the Doctor)."""
    return scope_of(user).doctor_id


def site_ids(user) -> frozenset[int]:
    return scope_of(user).site_ids


def cpam_ids(user) -> frozenset[int]:
    return scope_of(user).cpam_ids


def ars_zones(user) -> QuerySet:
    """The zones a person watches *as the ARS* (coverage, the /ars/ dashboard): every zone for a superuser, those of
    their region(s) for ARS staff, none for anyone else — the catalogue an agent who is also a doctor or a site
    member sees is not theirs to watch."""
    scope = scope_of(user)
    zones = visible_by_scope(scope, "sites.Zone")
    if scope.national:
        return zones
    return zones.filter(department__region_id__in=scope.region_ids) if scope.regional else zones.none()


# --- what each model shows to whom -------------------------------------------------------------------------
#
# Each function returns one `Q` per role the scope holds (ORed by `visible`), or ALL. A model without a rule
# here is visible to superusers only: a new model is closed until someone writes its rule.

ALL = Q()
NOTHING = None

_Rule = Callable[[Scope], list[Q] | Q | None]  # None: NOTHING


def _doctor_of_regions(regions: Iterable[int]) -> Q:
    """A doctor is of a region when a zone they cover, their main practice or one of their bookings lies in it.

    That rule's result is kept, doctor by doctor, in `missions.DoctorRegion` (missions.doctor_regions keeps it
    exact on every write of its three sources, and checks it every night): this is a lookup in its (region,
    doctor) index, not the UNION of three id sets the rule costs (whose bookings' set read 94,000 index entries in
    the largest region on every list or count: bench/README.md, « Issue #20, round 3 »)."""
    doctor_region = apps.get_model("missions", "DoctorRegion")
    return Q(pk__in=doctor_region.objects.filter(region_id__in=list(regions)).values("doctor_id"))


def _catalogue_zone(scope: Scope) -> list[Q]:
    rules = [Q(department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.site_ids:
        # A subquery, not a join through host_sites: a join repeats the zone once per site (get() then fails).
        rules.append(Q(pk__in=_zones_of_sites(scope.site_ids)))
    if _sees_catalogue(scope):
        rules.append(Q(active=True))
    return rules


def _zones_of_sites(site_ids: Iterable[int]) -> QuerySet:
    return apps.get_model("sites", "HostSite").objects.filter(pk__in=site_ids).values("zone_id")


def _sees_catalogue(scope: Scope) -> bool:
    """Doctors, host sites and CPAM agents see what a volunteer searches: active zones, sites and open slots."""
    return scope.doctor_id is not None or bool(scope.site_ids) or bool(scope.cpam_ids)


def _host_site(scope: Scope) -> list[Q]:
    rules = [Q(zone__department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.site_ids:
        rules.append(Q(pk__in=scope.site_ids))
    if _sees_catalogue(scope):
        rules.append(Q(active=True))
    return rules


def _slot(scope: Scope) -> list[Q]:
    rules = [Q(zone__department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.site_ids:
        rules.append(Q(site_id__in=scope.site_ids))
    if _sees_catalogue(scope):
        rules.append(Q(status="open", site__active=True))
    return rules


def _doctor(scope: Scope) -> list[Q]:
    rules = [_doctor_of_regions(scope.region_ids)] if scope.regional else []
    if scope.doctor_id is not None:
        rules.append(Q(pk=scope.doctor_id))
    if scope.cpam_ids:
        rules.append(Q(practice_department__cpam__in=scope.cpam_ids))
    return rules


def _availability(scope: Scope) -> list[Q]:
    rules = [Q(doctor__in=_doctors_queryset(scope))] if scope.regional else []
    if scope.doctor_id is not None:
        rules.append(Q(doctor_id=scope.doctor_id))
    if scope.site_ids:
        # A site looks for validated doctors available in its zone (« proposer ce créneau »).
        doctor_zones = apps.get_model("missions", "Doctor").zones.through
        covering = doctor_zones.objects.filter(zone_id__in=_zones_of_sites(scope.site_ids)).values("doctor_id")
        rules.append(Q(doctor__status="validated", doctor_id__in=covering))  # subquery: no row repeated
    return rules


def _doctors_queryset(scope: Scope) -> QuerySet:
    doctor = apps.get_model("missions", "Doctor")
    return doctor.objects.filter(_doctor_of_regions(scope.region_ids)).values("pk")


def _booking(scope: Scope) -> list[Q]:
    rules = [Q(zone__department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.doctor_id is not None:
        rules.append(Q(doctor_id=scope.doctor_id))
    if scope.site_ids:
        rules.append(Q(slot__site_id__in=scope.site_ids))
    if scope.cpam_ids:
        rules.append(Q(doctor__practice_department__cpam__in=scope.cpam_ids))
    return rules


def _cpam(scope: Scope) -> list[Q]:
    rules = [Q(department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.cpam_ids:
        rules.append(Q(pk__in=scope.cpam_ids))
    return rules


def _statement(scope: Scope) -> list[Q]:
    """ARS staff see their region's statements, drafts included; a CPAM agent their CPAM's issued and paid ones
    (a draft is the ARS's preview: nobody pays from it)."""
    rules = [Q(cpam__department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.cpam_ids:
        rules.append(Q(cpam_id__in=scope.cpam_ids) & ~Q(status="draft"))
    return rules


def _statement_line(scope: Scope) -> list[Q]:
    return [Q(statement__in=visible_by_scope(scope, "billing.Statement").values("pk"))] if scope.authenticated else []


def _statement_export(scope: Scope) -> list[Q]:
    """A statement's prepared XLSX or PDF: whoever sees the statement (billing.exports.background)."""
    return [Q(statement__in=visible_by_scope(scope, "billing.Statement").values("pk"))] if scope.authenticated else []


def _message(scope: Scope) -> list[Q]:
    """ARS staff see the messages sent to the people and bodies of their region: its doctors, site members, CPAM
    and CDOM addresses and its own staff. Nobody else reads the outbox."""
    if not scope.regional:
        return []
    user = apps.get_model("accounts", "User")
    regions = scope.region_ids
    people = user.objects.filter(
        Q(doctor__in=_doctors_queryset(scope))
        | Q(site_memberships__site__zone__department__region_id__in=regions)
        | Q(cpam_memberships__cpam__department__region_id__in=regions)
        | Q(ars_memberships__region_id__in=regions)
    ).values("email")
    cpam = apps.get_model("billing", "Cpam")
    department = apps.get_model("sites", "Department")
    return [
        Q(recipient__in=people),
        Q(recipient__in=cpam.objects.filter(department__region_id__in=regions).values("email")),
        Q(recipient__in=department.objects.filter(region_id__in=regions).values("cdom_email")),
    ]


def _plan(scope: Scope) -> list[Q]:
    """Monthly plans (planning): the ARS staff of their region only."""
    return [Q(region_id__in=scope.region_ids)] if scope.regional else []


def _plan_line(scope: Scope) -> list[Q]:
    """ARS staff see their region's plan lines; a doctor the offers made to them (never a line still in review)."""
    rules = [Q(plan__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.doctor_id is not None:
        rules.append(Q(doctor_id=scope.doctor_id, status__in=["sent", "accepted", "declined", "expired"]))
    return rules


def _ds_dossier(scope: Scope) -> list[Q]:
    """A Démarches Simplifiées dossier: ARS staff of the region its practice (or CDOM) department lies in, or of
    the doctor it became. A dossier that says neither is national (superusers)."""
    if not scope.regional:
        return []
    return [Q(department__region_id__in=scope.region_ids), Q(doctor__in=_doctors_queryset(scope))]


def _ds_decision(scope: Scope) -> list[Q]:
    if not scope.regional:
        return []
    return [Q(dossier__in=visible_by_scope(scope, "demarches.Dossier").values("pk"))]


def _ds_sync(scope: Scope) -> Q | None:
    """Where the import of the national démarche stands: no personal data; every ARS agent may see and run it."""
    return ALL if scope.regional else NOTHING


def _installation_lead(scope: Scope) -> list[Q]:
    """ARS staff see the leads of their region's departments (their referents follow them); a doctor their own."""
    rules = [Q(department__region_id__in=scope.region_ids)] if scope.regional else []
    if scope.doctor_id is not None:
        rules.append(Q(doctor_id=scope.doctor_id))
    return rules


def _installation_referent(scope: Scope) -> list[Q]:
    """ARS staff see and edit their region's referents (the public pages show them as contacts, without a rule)."""
    return [Q(department__region_id__in=scope.region_ids)] if scope.regional else []


def _national_reference(scope: Scope) -> Q | None:
    """Regions, departments, EPCI, communes and flat rates: readable by every signed-in person."""
    return ALL if scope.authenticated else NOTHING


VISIBILITY: dict[str, _Rule] = {
    "sites.region": _national_reference,
    "sites.department": _national_reference,
    "sites.epci": _national_reference,
    "sites.commune": _national_reference,
    "billing.flatrate": _national_reference,
    "sites.zone": _catalogue_zone,
    "sites.hostsite": _host_site,
    "sites.slot": _slot,
    "missions.doctor": _doctor,
    "missions.availability": _availability,
    "missions.booking": _booking,
    "billing.cpam": _cpam,
    "billing.statement": _statement,
    "billing.statementline": _statement_line,
    "billing.statementexport": _statement_export,
    "notifications.message": _message,
    "planning.plan": _plan,
    "planning.planline": _plan_line,
    "planning.planschedule": _plan,
    "demarches.dossier": _ds_dossier,
    "demarches.decision": _ds_decision,
    "demarches.demarchesync": _ds_sync,
    # installation: the zonage and the aids are published national data; leads and referents are the region's
    "installation.zonagedecree": _national_reference,
    "installation.communezonage": _national_reference,
    "installation.aid": _national_reference,
    "installation.installationreferent": _installation_referent,
    "installation.installationlead": _installation_lead,
}

# Models ARS staff may edit in the admin (within their region), each field through a form or a service.
# Every other model with a rule is read-only to them: national reference data, and records whose every change is
# a service's act (statements, messages: the admin shows them with actions).
EDITABLE_BY_STAFF = frozenset(
    {
        "sites.zone",
        "sites.hostsite",
        "sites.slot",
        "missions.doctor",
        "missions.booking",
        "billing.cpam",
        "planning.planschedule",
        "installation.installationreferent",
        "installation.installationlead",
    }
)
# Of those, what they may create in the admin (their region's zones, host sites and slots, its plan schedule, the
# installation referents of its departments).
ADDABLE_BY_STAFF = frozenset(
    {"sites.zone", "sites.hostsite", "sites.slot", "planning.planschedule", "installation.installationreferent"}
)


def _label(model: type[Model] | str) -> str:
    if isinstance(model, str):
        app_label, _, name = model.partition(".")
        return f"{app_label}.{name.lower()}"
    return model._meta.label_lower


def visible_by_scope(scope: Scope, model: type[Model] | str) -> QuerySet:
    label = _label(model)
    return _narrowed(scope, apps.get_model(label)._default_manager.all())


def _narrowed(scope: Scope, qs: QuerySet) -> QuerySet:
    """`qs` filtered by the model's rule for `scope` — on the queryset itself, not through `pk IN (…)` (a self-join
    that cost the admin's booking list a third of its database time)."""
    if scope.national:
        return qs
    rule = VISIBILITY.get(qs.model._meta.label_lower)
    if rule is None or not scope.authenticated:
        return qs.none()
    rules = rule(scope)
    if rules is NOTHING:
        return qs.none()
    if isinstance(rules, Q):
        return qs.filter(rules)
    if not rules:
        return qs.none()
    return qs.filter(reduce(or_, rules))


def visible(user, model: type[Model] | str | QuerySet) -> QuerySet:
    """What `user` may see of a model (or narrows a queryset of it to that)."""
    if isinstance(model, QuerySet):
        return _narrowed(scope_of(user), model)
    return visible_by_scope(scope_of(user), model)


# National reference data reaches a region through these paths. ARS staff may *read* all of it, but are *offered*
# (choice lists, list filters, autocomplete) only their region's part: a zone, a host site or a CPAM they create
# or edit stays in their region, and a doctor's practice is picked among their region's communes.
REGION_PATHS: dict[str, str] = {
    "sites.region": "pk",
    "sites.department": "region",
    "sites.commune": "department__region",
    "sites.epci": "communes__department__region",
}


def offered(user, model: type[Model] | str | QuerySet) -> QuerySet:
    """What `user` is offered to pick or to filter by: what they may see (`visible`), and of national reference
    data only the part of their region(s) when they act for a region. Choice lists, list filters and
    autocompletes of every door ask this; a current value outside it stays (the doors keep it, never offer it)."""
    qs = visible(user, model)
    scope = scope_of(user)
    path = REGION_PATHS.get(_label(qs.model))
    if scope.national or not scope.regional or path is None:
        return qs
    inside = qs.model._default_manager.filter(**{f"{path}__in": scope.region_ids}).values("pk")
    return qs.filter(pk__in=inside)


def can_see(user, obj: Model) -> bool:
    """Is this object within what `user` may see (one indexed query; no query for a superuser)."""
    if scope_of(user).national:
        return True
    return visible(user, type(obj)).filter(pk=obj.pk).exists()


# --- what a person may do ----------------------------------------------------------------------------------
#
# Each act names who may do it; the object must also be visible to them (`can_see`). Services call `require`
# with the person acting (`by=`); the doors have already answered 404 for objects outside `visible`.


# A rule that reads one model's fields takes `obj: Any`: that model (a Slot, a Booking, a Doctor, a Statement) lives
# in an app above this one (tests/test_layering.py), which this module may not import, even for its types.


def _ars(scope: Scope, obj: Model) -> bool:
    return scope.ars


def _ars_or_site_member(scope: Scope, obj: Model) -> bool:
    return scope.ars or bool(scope.site_ids & _sites_of(obj))


def _sites_of(obj: Any) -> set[int]:
    label = obj._meta.label_lower
    if label == "sites.hostsite":
        return {obj.pk}
    if label == "sites.slot":
        return {obj.site_id}
    if label == "missions.booking":
        return {obj.slot.site_id}
    return set()


def _site_member(scope: Scope, obj: Model) -> bool:
    """A member of the object's host site (not ARS staff: they have acts of their own)."""
    return bool(scope.site_ids & _sites_of(obj))


def _booking_party(scope: Scope, obj: Any) -> bool:
    return _ars_or_site_member(scope, obj) or obj.doctor_id == scope.doctor_id


def _doctor_or_ars(scope: Scope, obj: Model) -> bool:
    return scope.ars or obj.pk == scope.doctor_id


def _billing_number(scope: Scope, obj: Any) -> bool:
    """ARS staff of the doctor's region, or an agent of their CPAM de rattachement (R8)."""
    if scope.ars:
        return True
    cpam = apps.get_model("billing", "Cpam")
    return cpam.objects.filter(pk__in=scope.cpam_ids, department_id=obj.practice_department_id).exists()


def _cpam_agent_or_ars(scope: Scope, obj: Any) -> bool:
    return scope.ars or obj.cpam_id in scope.cpam_ids


def _ars_of_region(scope: Scope, obj: Any) -> bool:
    """ARS staff of this region (obj: a sites.Region). A region is national reference data, visible to everyone:
    the check names the region itself."""
    return scope.regional and obj.pk in scope.region_ids


def _offered_doctor(scope: Scope, obj: Any) -> bool:
    """The doctor a plan line's offer was made to."""
    return scope.doctor_id is not None and obj.doctor_id == scope.doctor_id


def _the_doctor_themselves(scope: Scope, obj: Model) -> bool:
    return obj.pk == scope.doctor_id


def _close_account(scope: Scope, obj: Model) -> bool:
    """ARS staff close the account of a doctor of their region at the doctor's request; never a staff account."""
    user = cast("User", obj)
    if not scope.ars or user.is_staff or user.is_superuser:
        return False
    doctor = apps.get_model("missions", "Doctor")
    return visible_by_scope(scope, doctor).filter(user_id=obj.pk).exists()


ACTS: dict[str, Callable[[Scope, Model], bool]] = {
    # accounts (accounts.User): only superusers manage accounts; see admin_permissions
    "account.close": _close_account,
    # doctors (missions.Doctor)
    "doctor.review": _ars,  # validate, reject, suspend, reinstate
    "doctor.edit": _doctor_or_ars,  # their own record, or the ARS
    "doctor.withdraw": _doctor_or_ars,
    "doctor.billing_number": _billing_number,
    # host sites and slots (sites.HostSite, sites.Slot)
    "site.manage": _ars_or_site_member,  # publish, close and offer slots
    "site.edit": _ars,
    "slot.book_for": _ars,  # ARS staff book on a doctor's behalf
    "zone.edit": _ars,
    # bookings (missions.Booking)
    "booking.respond": _ars_or_site_member,  # confirm, decline
    "booking.attest": _ars_or_site_member,
    "booking.correct": _ars,  # at any time; once stated, billing reverses the day (R9)
    "booking.site_correct": _site_member,  # its own site's attestation, until the day is on an issued statement
    "booking.cancel": _booking_party,
    # CPAM and statements (billing.Cpam, billing.Statement)
    "cpam.edit": _ars,
    "statement.generate": _ars,  # obj: the Cpam
    "statement.issue": _ars,
    "statement.mark_paid": _cpam_agent_or_ars,
    "statement.export": _cpam_agent_or_ars,  # prepare its XLSX or PDF (billing.exports.background)
    # monthly plans (planning.Plan, planning.PlanLine)
    "plan.propose": _ars_of_region,  # obj: the Region
    "plan.review": _ars,  # obj: the Plan or a PlanLine (visible: of one's region) — remove, swap, send, discard
    "planline.decline": _offered_doctor,
    # Démarches Simplifiées (demarches.Dossier, demarches.DemarcheSync): import again, resend a decision
    "demarches.sync": _ars,
    # installation (missions.Doctor for the ask, installation.InstallationLead and InstallationReferent otherwise)
    "installation.ask": _the_doctor_themselves,  # a volunteer asks to know more about settling somewhere
    "installation.follow": _ars,  # contacted, in project, installed, abandoned: ARS staff of the lead's region
    "installation.referent": _ars,
}


# Objects whose act decides visibility itself (accounts are not in VISIBILITY: only superusers list them).
VISIBILITY_CHECKED_BY_ACT = frozenset({"accounts.user"})


def may(user, act: str, obj: Model) -> bool:
    """May `user` do `act` to `obj`? False for anything outside what they may see."""
    check = ACTS[act]  # an unknown act is a programming error, never a silent yes
    scope = scope_of(user)
    if not scope.authenticated:
        return False
    if scope.national:
        return True
    if not check(scope, obj):
        return False
    return obj._meta.label_lower in VISIBILITY_CHECKED_BY_ACT or can_see(user, obj)


def require(user, act: str, obj: Model, message: str | None = None) -> None:
    """Raise NotAllowed unless `may(user, act, obj)` (services call it with the person acting)."""
    if not may(user, act, obj):
        raise NotAllowed(message) if message else NotAllowed()


@dataclass(frozen=True)
class Allowed:
    """The permission of a lifecycle act (core.transitions): `require(by, authority_act, obj, message)`.
    `authority_act` stays readable (the tests' permission table checks it)."""

    authority_act: str
    message: str

    def __call__(self, by: User | None, obj: Model) -> None:
        require(by, self.authority_act, obj, self.message)


# --- the admin's model permissions -------------------------------------------------------------------------


def admin_permissions(user, model: type[Model]) -> dict[str, bool]:
    """What the admin may offer `user` on a model: view, add, change, delete (objects are then `visible`).

    Superusers: everything Django grants them. ARS staff of a region: view the models with a rule in VISIBILITY,
    change those of EDITABLE_BY_STAFF, add zones, sites and slots; never delete (closing, cancelling and
    withdrawing are acts), never the accounts, groups, permissions, memberships or technical tables.
    """
    scope = scope_of(user)
    if scope.national:
        return {"view": True, "add": True, "change": True, "delete": True}
    label = model._meta.label_lower
    if not scope.regional or label not in VISIBILITY:
        return {"view": False, "add": False, "change": False, "delete": False}
    editable = label in EDITABLE_BY_STAFF
    return {
        "view": True,
        "add": label in ADDABLE_BY_STAFF,
        "change": editable,
        "delete": False,
    }


def ensure_ars_group() -> Group:
    """The Django permissions of the « Équipe ARS » group: view and change of what ARS staff work on.

    The admin asks `admin_permissions` (above) first; the group only keeps Django's own checks in step. Run after
    every migrate, once every app's permissions exist (see accounts.apps)."""
    group, _ = Group.objects.get_or_create(name=ARS_GROUP)
    wanted = Q(pk__in=[])
    for label in VISIBILITY:
        app_label, model_name = label.split(".")
        actions = ["view"]
        if label in EDITABLE_BY_STAFF:
            actions.append("change")
        if label in ADDABLE_BY_STAFF:
            actions.append("add")
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model_name,
            codename__in=[f"{action}_{model_name}" for action in actions],
        )
    group.permissions.set(Permission.objects.filter(wanted))
    return group
