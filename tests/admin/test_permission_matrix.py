"""The admin's permission matrix, over two regions: who reaches which page of which model, which actions each is
offered, and what each autocomplete shows.

Every registered ModelAdmin has a row (a new one without a row fails `test_every_registered_admin_has_a_row`), every
action of an admin is named in its row, and every autocomplete field is listed. Pages: the changelist, the change
page of region A's object, the add page, its delete page and its history. Codes: 200 allowed, 403 not allowed for
this model, 404 an object one may not see (never a 403 that would confirm it exists), 302 to the login page for
people who have no admin at all.
"""

from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

pytestmark = pytest.mark.django_db

PAGES = ("changelist", "change", "add", "delete", "history")
VIEW = frozenset({"changelist", "change", "history"})
ALL = frozenset(PAGES)


@dataclass(frozen=True)
class Row:
    national: frozenset  # pages a superuser reaches (the admin's own restrictions: no add, no delete…)
    regional: frozenset = frozenset()  # pages an ARS agent of the object's region reaches
    everywhere: bool = False  # national reference data: ARS agents of every region see (and never change) it
    national_actions: frozenset = frozenset()
    regional_actions: frozenset = frozenset()


def row(national, regional=frozenset(), everywhere=False, actions=(), regional_actions=None) -> Row:
    """`regional_actions`: by default the same actions as national administrators, when the region has pages."""
    actions = frozenset(actions)
    if regional_actions is None:
        regional_actions = actions if regional else ()
    return Row(frozenset(national), frozenset(regional), everywhere, actions, frozenset(regional_actions))


NO_ADD_NO_DELETE = VIEW
NATIONAL_ONLY = row(ALL, actions=["delete_selected"])
REFERENCE = row(ALL, VIEW, everywhere=True, actions=["delete_selected"], regional_actions=[])

MATRIX: dict[str, Row] = {
    # third-party models: national administrators only
    "auth.group": NATIONAL_ONLY,
    "authtoken.tokenproxy": row(ALL),  # DRF's admin has no actions (its ids are mapped)
    "otp_totp.totpdevice": NATIONAL_ONLY,
    "axes.accessattempt": row(VIEW | {"delete"}, actions=["delete_selected", "cleanup_expired_attempts"]),
    "axes.accesslog": row(VIEW | {"delete"}, actions=["delete_selected"]),
    "axes.accessfailurelog": row(VIEW | {"delete"}, actions=["delete_selected"]),
    "dsfr.dsfrconfig": NATIONAL_ONLY,
    # accounts, memberships, the consultation log: national administrators only
    "accounts.user": row(ALL, actions=["delete_selected", "close_accounts"]),
    "accounts.accesslog": row(VIEW),
    "sites.sitemembership": NATIONAL_ONLY,
    "sites.arsmembership": NATIONAL_ONLY,
    "billing.cpammembership": NATIONAL_ONLY,
    # national reference data: read by every ARS agent, written by national administrators
    "sites.region": REFERENCE,
    "sites.department": REFERENCE,
    "sites.epci": REFERENCE,
    "sites.commune": REFERENCE,
    "billing.flatrate": REFERENCE,
    # the region's work: ARS agents of the region, through forms and services; nothing is ever deleted by them
    # region A's zone has host sites and bookings: a zone with history is never deleted (it is deactivated)
    "sites.zone": row(VIEW | {"add"}, VIEW | {"add"}, actions=["delete_selected"], regional_actions=[]),
    "sites.hostsite": row(ALL, VIEW | {"add"}, actions=["delete_selected"], regional_actions=[]),
    "sites.slot": row(NO_ADD_NO_DELETE, VIEW, actions=["close"]),
    "missions.doctor": row(
        NO_ADD_NO_DELETE,
        VIEW,
        actions=["validate", "suspend", "reinstate", "reject", "withdraw", "cdom_authorise", "cdom_refuse"],
    ),
    "missions.availability": row(ALL, VIEW, actions=["delete_selected"], regional_actions=[]),
    "missions.booking": row(NO_ADD_NO_DELETE, VIEW, actions=["confirm", "cancel", "correct"]),
    "billing.cpam": row(ALL, VIEW, actions=["delete_selected"], regional_actions=[]),
    "billing.statement": row(VIEW | {"delete"}, VIEW, actions=["regenerate", "issue", "mark_paid"]),
    "billing.statementline": row(VIEW, VIEW),
    # Démarches Simplifiées: read-only lists; the services act (and say no outside the region)
    "demarches.dossier": row(VIEW, VIEW, actions=["resync"]),
    "demarches.decision": row(VIEW, VIEW, actions=["retry"]),
    # installation: the zonage and the aids are national reference data; referents and leads are the region's
    "installation.zonagedecree": REFERENCE,
    "installation.communezonage": REFERENCE,
    "installation.aid": REFERENCE,
    "installation.installationreferent": row(ALL, VIEW | {"add"}, actions=["delete_selected"], regional_actions=[]),
    "installation.installationlead": row(NO_ADD_NO_DELETE, VIEW, actions=["contact", "plan", "install", "abandon"]),
    "notifications.message": row(
        VIEW | {"delete"}, VIEW, actions=["delete_selected", "resend"], regional_actions=["resend"]
    ),
    # monthly plans: read-only (they change through the planning pages and services), proposed by the actions
    "planning.plan": row(VIEW, VIEW, actions=["propose_again"]),
    "planning.planschedule": row(
        ALL, VIEW | {"add"}, actions=["delete_selected", "propose_next_month"], regional_actions=["propose_next_month"]
    ),
}

PERSONAS = ("superuser", "ars_a", "ars_b", "staff_without_region", "doctor", "site_member")

# source model.field → target model, for every autocomplete field of an admin or inline.
AUTOCOMPLETES = {
    "sites.commune.epci": "sites.epci",
    "sites.hostsite.commune": "sites.commune",
    "sites.hostsite.zone": "sites.zone",
    "sites.sitemembership.user": "accounts.user",
    "sites.sitemembership.site": "sites.hostsite",
    "sites.arsmembership.user": "accounts.user",
    "missions.doctor.user": "accounts.user",
    "missions.doctor.practice_commune": "sites.commune",
    "missions.doctor.cdom_department": "sites.department",
    "missions.availability.doctor": "missions.doctor",
    "billing.cpam.department": "sites.department",
    "billing.cpammembership.user": "accounts.user",
    "billing.cpammembership.cpam": "billing.cpam",
}


def _admin_of(label: str):
    return next(a for m, a in admin.site._registry.items() if m._meta.label_lower == label)


def _pages_of(persona: str, entry: Row) -> frozenset:
    return {"superuser": entry.national, "ars_a": entry.regional, "ars_b": entry.regional}.get(persona, frozenset())


def _sees_a(persona: str, entry: Row) -> bool:
    """Does the persona see region A's object?"""
    if persona == "superuser":
        return True
    if persona == "ars_a":
        return "change" in entry.regional
    if persona == "ars_b":
        return entry.everywhere and "change" in entry.regional
    return False


def expected(persona: str, entry: Row, page: str) -> int:
    if persona in ("doctor", "site_member"):
        return 302  # no admin: to the login page
    pages = _pages_of(persona, entry)
    if page in ("changelist", "add"):
        return 200 if page in pages else 403
    if not _sees_a(persona, entry):
        return 404
    return 200 if page in pages else 403


def url_of(label: str, page: str, obj) -> str:
    app_label, model_name = label.split(".")
    name = f"admin:{app_label}_{model_name}_{page}"
    if page in ("changelist", "add"):
        return reverse(name)
    return reverse(name, args=[obj.user_id if label == "authtoken.tokenproxy" else obj.pk])  # a token's page: its user


def pk_of(obj):
    return obj._meta.pk.value_from_object(obj)  # a token proxy's `pk` property is its user's


def test_every_registered_admin_has_a_row():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered - MATRIX.keys() == set(), "a registered ModelAdmin without a row in the matrix"
    assert MATRIX.keys() - registered == set(), "a row for a model the admin no longer shows"


@pytest.mark.parametrize("label", sorted(MATRIX))
def test_every_action_of_an_admin_is_in_its_row(label):
    model_admin = _admin_of(label)
    declared = {a if isinstance(a, str) else a.__name__ for a in (model_admin.actions or [])}
    assert declared == MATRIX[label].national_actions - {"delete_selected"}  # which get delete_selected: offered


def test_every_autocomplete_field_is_listed():
    found = {}
    for model, model_admin in admin.site._registry.items():
        for owner in [model_admin, *model_admin.inlines]:
            source = owner.model if owner is not model_admin else model
            for name in owner.autocomplete_fields:
                found[f"{source._meta.label_lower}.{name}"] = source._meta.get_field(
                    name
                ).related_model._meta.label_lower
    assert found == AUTOCOMPLETES


@pytest.mark.parametrize("label", sorted(MATRIX))
def test_pages(client, world, label):
    entry, obj = MATRIX[label], world.a[label]
    wrong = []
    for persona in PERSONAS:
        client.force_login(world.people[persona])
        for page in PAGES:
            response = client.get(url_of(label, page, obj))
            want = expected(persona, entry, page)
            if response.status_code != want:
                wrong.append(f"{persona} {page}: {response.status_code}, expected {want}")
            elif page == "changelist" and want == 200:
                listed = response.context["cl"].queryset.filter(pk=pk_of(obj)).exists()
                if listed != _sees_a(persona, entry):
                    wrong.append(f"{persona} changelist: region A's object {'listed' if listed else 'missing'}")
                other = world.b.get(label)
                checks_b = persona == "ars_a" and other is not None and not entry.everywhere
                if checks_b and response.context["cl"].queryset.filter(pk=other.pk).exists():
                    wrong.append("ars_a changelist: region B's object listed")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("label", sorted(MATRIX))
def test_actions_offered(client, world, label):
    entry = MATRIX[label]
    wrong = []
    for persona in ("superuser", "ars_a", "ars_b"):
        if "changelist" not in _pages_of(persona, entry):
            continue
        client.force_login(world.people[persona])
        response = client.get(url_of(label, "changelist", None))
        form = response.context.get("action_form")
        offered = {name for name, _ in form.fields["action"].choices if name} if form else set()
        want = entry.national_actions if persona == "superuser" else entry.regional_actions
        if offered != want:
            wrong.append(f"{persona}: offered {sorted(offered)}, expected {sorted(want)}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("label", sorted(label for label, entry in MATRIX.items() if entry.regional_actions))
def test_an_action_posted_on_another_regions_object_changes_nothing(client, world, label):
    """ARS agent of region B selects region A's object (a forged POST): the action sees no such object."""
    entry, obj = MATRIX[label], world.a[label]
    model = type(obj)
    before = model._default_manager.filter(pk=obj.pk).values().get()
    client.force_login(world.people["ars_b"])
    for action in sorted(entry.regional_actions):
        client.post(
            url_of(label, "changelist", None),
            {
                "action": action,
                ACTION_CHECKBOX_NAME: [obj.pk],
                "apply": "1",
                "reason": "Tentative hors région",
                "attended": "0",
            },
        )
    assert model._default_manager.filter(pk=obj.pk).values().get() == before


@pytest.mark.parametrize("source", sorted(AUTOCOMPLETES))
def test_autocomplete(client, world, source):
    app_label, model_name, field_name = source.split(".")
    target = AUTOCOMPLETES[source]
    entry, obj = MATRIX[target], world.a[target]
    url = reverse("admin:autocomplete")
    query = {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""}
    wrong = []
    for persona in PERSONAS:
        client.force_login(world.people[persona])
        response = client.get(url, query)
        pages = _pages_of(persona, entry)
        if persona in ("doctor", "site_member"):
            want, shows_a = 302, False
        elif "changelist" not in pages:
            want, shows_a = 403, False
        else:
            # Offered: what one sees, and of national reference data one's own region's part only.
            want, shows_a = 200, persona in ("superuser", "ars_a")
        if response.status_code != want:
            wrong.append(f"{persona}: {response.status_code}, expected {want}")
            continue
        if want == 200:
            ids = {item["id"] for item in response.json()["results"]}
            if (str(obj.pk) in ids) != shows_a:
                wrong.append(f"{persona}: region A's {target} {'shown' if not shows_a else 'missing'}")
            other = world.b.get(target)
            if persona == "ars_a" and other is not None and str(other.pk) in ids:
                wrong.append(f"ars_a: region B's {target} offered")
    assert not wrong, "\n".join(wrong)
