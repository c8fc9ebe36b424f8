"""The ARS console: every changelist costs a constant number of queries, and the actions call the services
(a refusal shows the rule's French message)."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.db.models import Max, Min
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from missions.models import Booking, Doctor
from sites.models import Region, Slot
from tests import factories as f

pytestmark = pytest.mark.django_db

BUILDERS = {
    "accounts.user": lambda: f.UserFactory(),
    "sites.region": lambda: Region.objects.create(code=f"9{Region.objects.count():02d}", name="Région test"),
    "sites.department": lambda: f.DepartmentFactory(),
    "sites.epci": lambda: f.EpciFactory(),
    "sites.commune": lambda: f.CommuneFactory(),
    "sites.zone": lambda: f.ZoneFactory(),
    "sites.hostsite": lambda: f.HostSiteFactory(),
    "sites.sitemembership": lambda: f.SiteMembershipFactory(),
    "sites.arsmembership": lambda: f.ArsMembershipFactory(),
    "sites.slot": lambda: f.BookingFactory().slot,
    "missions.doctor": lambda: f.DoctorFactory(zones=[f.ZoneFactory()]),
    "missions.availability": lambda: f.AvailabilityFactory(),
    "missions.booking": lambda: f.BookingFactory(),
}


# Accounts and memberships are managed by national administrators only (tests/admin/ holds the permission
# matrix): their pages are measured with a superuser's console.
NATIONAL_ONLY = {"accounts.user", "sites.sitemembership", "sites.arsmembership"}


@pytest.fixture
def console(client, ars_staff):
    client.force_login(ars_staff)
    return client


@pytest.fixture
def console_for(console, ars_staff):
    """The console of ARS staff, or of a national administrator for what only they manage."""

    def pick(model: str):
        if model in NATIONAL_ONLY:
            console.force_login(f.UserFactory(is_staff=True, is_superuser=True))
        return console

    return pick


def changelist_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("model", sorted(BUILDERS))
def test_each_changelist_costs_the_same_queries_whatever_the_row_count(console_for, model):
    console = console_for(model)
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    console.get(url)  # warm caches (content types, session)
    for _ in range(3):
        BUILDERS[model]()
    few = changelist_queries(console, url)
    for _ in range(10):
        BUILDERS[model]()
    many = changelist_queries(console, url)
    assert few == many, f"{model}: {few} queries with a few rows, {many} with more: an N+1 in the changelist"


@pytest.mark.parametrize("model", sorted(BUILDERS))
def test_each_change_page_answers(console_for, model):
    console = console_for(model)
    obj = BUILDERS[model]()
    app_label, model_name = model.split(".")
    response = console.get(reverse(f"admin:{app_label}_{model_name}_change", args=[obj.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["missions.doctor", "missions.booking", "sites.slot"])
def test_history_is_visible(console, model):
    obj = BUILDERS[model]()
    app_label, model_name = model.split(".")
    response = console.get(reverse(f"admin:{app_label}_{model_name}_history", args=[obj.pk]))
    assert response.status_code == 200


def test_searches_and_filters_ars_staff_use(console, zone):
    doctor = f.DoctorFactory(last_name="Vercingétorix", rpps="10000000009", zones=[zone])
    f.DoctorFactory(last_name="Dupont", zones=[zone])
    booking = f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=f.HostSiteFactory(zone=zone)))
    doctors = reverse("admin:missions_doctor_changelist")
    bookings = reverse("admin:missions_booking_changelist")

    for query in ["q=Vercing", "q=10000000009", f"q={doctor.user.email}"]:
        response = console.get(f"{doctors}?{query}")
        assert list(response.context["cl"].result_list) == [doctor], query
    filtered = console.get(f"{doctors}?status__exact=validated&practice_department__id__exact=999999")
    assert list(filtered.context["cl"].result_list) == []

    for query in [
        "q=Vercing",
        f"q={booking.slot.site.name}",
        f"zone__id__exact={zone.pk}",
        f"slot__site__id__exact={booking.slot.site_id}",
        "status__exact=requested",
        f"date__year={booking.date.year}&date__month={booking.date.month}",
    ]:
        response = console.get(f"{bookings}?{query}")
        assert list(response.context["cl"].result_list) == [booking], query


def act(client, model: str, action: str, objects, **data):
    app_label, model_name = model.split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    payload = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **data}
    return client.post(url, payload, follow=True)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def shows_message(response, start: str) -> bool:
    """A message for one object begins with that object's name, then the rule's French message."""
    return any(message.startswith(start) for message in messages_of(response))


# --- doctors --------------------------------------------------------------------------------------------------


def test_validating_a_submitted_doctor_goes_through_the_service(console, zone):
    doctor = f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None, zones=[zone])

    response = act(console, "missions.doctor", "validate", [doctor])

    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED
    assert doctor.status_changed_by.is_staff
    assert doctor.validated_at is not None
    assert "1 dossier validé" in " ".join(messages_of(response))


def test_an_action_a_rule_refuses_shows_the_french_message_and_does_the_others(console, zone):
    rejected = f.DoctorFactory(status=Doctor.Status.REJECTED, zones=[zone])
    submitted = f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None, zones=[zone])

    response = act(console, "missions.doctor", "validate", [rejected, submitted])

    assert shows_message(response, f"{rejected} : Impossible de passer de « Refusé » à « Validé »")
    rejected.refresh_from_db()
    submitted.refresh_from_db()
    assert rejected.status == Doctor.Status.REJECTED
    assert submitted.status == Doctor.Status.VALIDATED


def test_rejecting_asks_for_a_reason_first(console, zone):
    doctor = f.DoctorFactory(status=Doctor.Status.SUBMITTED, validated_at=None, zones=[zone])

    form_page = act(console, "missions.doctor", "reject", [doctor])
    assert form_page.status_code == 200
    assert "Refuser des dossiers" in form_page.content.decode()
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUBMITTED

    empty = act(console, "missions.doctor", "reject", [doctor], apply="Confirmer", reason="  ")
    assert "Ce champ est obligatoire." in empty.content.decode()
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.SUBMITTED

    done = act(console, "missions.doctor", "reject", [doctor], apply="Confirmer", reason="RPPS inconnu du CDOM.")
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.REJECTED
    assert doctor.status_reason == "RPPS inconnu du CDOM."
    assert "1 dossier refusé." in messages_of(done)


def test_suspending_then_reinstating(console, doctor):
    act(console, "missions.doctor", "suspend", [doctor], apply="Confirmer", reason="Carte CPS expirée.")
    doctor.refresh_from_db()
    assert (doctor.status, doctor.status_reason) == (Doctor.Status.SUSPENDED, "Carte CPS expirée.")

    act(console, "missions.doctor", "reinstate", [doctor])
    doctor.refresh_from_db()
    assert doctor.status == Doctor.Status.VALIDATED


def test_a_doctor_status_cannot_be_typed_in_the_change_form(console, doctor):
    url = reverse("admin:missions_doctor_change", args=[doctor.pk])
    page = console.get(url).content.decode()
    assert 'name="status"' not in page
    assert console.get(reverse("admin:missions_doctor_add")).status_code == 403


# --- bookings -------------------------------------------------------------------------------------------------


def test_confirming_bookings_refuses_what_the_lifecycle_forbids(console, doctor, other_doctor, slot):
    slot.capacity = 2
    slot.save()
    requested = f.BookingFactory(doctor=doctor, slot=slot)
    yesterday = f.SlotFactory(site=slot.site, date=timezone.localdate() - datetime.timedelta(days=1))
    completed = f.BookingFactory(doctor=other_doctor, slot=yesterday, status=Booking.Status.COMPLETED, consultations=8)

    response = act(console, "missions.booking", "confirm", [requested, completed])

    assert shows_message(response, f"{completed} : Impossible de passer de « Effectuée » à « Confirmée »")
    requested.refresh_from_db()
    assert requested.status == Booking.Status.CONFIRMED
    assert requested.confirmed_by.is_staff


def test_cancelling_a_booking_asks_for_a_reason(console, doctor, slot):
    booking = f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.CONFIRMED)

    assert "Annuler des réservations" in act(console, "missions.booking", "cancel", [booking]).content.decode()
    act(console, "missions.booking", "cancel", [booking], apply="Confirmer", reason="Lieu fermé (inondation).")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert booking.reason == "Lieu fermé (inondation)."
    assert booking.late_cancellation is False  # cancelled by ARS staff, not by the doctor


def test_correcting_an_attestation(console, doctor, site):
    past = f.SlotFactory(site=site, date=timezone.localdate() - datetime.timedelta(days=3))
    booking = f.BookingFactory(doctor=doctor, slot=past, status=Booking.Status.COMPLETED, consultations=12)

    form_page = act(console, "missions.booking", "correct", [booking])
    assert "Corriger une attestation" in form_page.content.decode()
    missing = act(console, "missions.booking", "correct", [booking], apply="1", attended="1", reason="Erreur")
    assert "Indiquez le nombre de consultations" in missing.content.decode()

    act(console, "missions.booking", "correct", [booking], apply="1", attended="0", reason="Le médecin n'est pas venu.")

    booking.refresh_from_db()
    assert booking.status == Booking.Status.NO_SHOW
    assert booking.consultations is None
    assert booking.correction_reason == "Le médecin n'est pas venu."
    assert booking.corrected_by.is_staff


def test_correcting_a_booking_not_yet_attested_is_refused_in_french(console, doctor, slot):
    booking = f.BookingFactory(doctor=doctor, slot=slot)
    response = act(
        console, "missions.booking", "correct", [booking], apply="1", attended="1", consultations="5", reason="x"
    )
    assert shows_message(response, f"{booking} : Seule une journée déjà attestée peut être corrigée")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED


def test_booking_states_are_read_only_in_the_change_form(console, doctor, slot):
    booking = f.BookingFactory(doctor=doctor, slot=slot)
    url = reverse("admin:missions_booking_change", args=[booking.pk])
    page = console.get(url).content.decode()
    for field in ["status", "consultations", "late_cancellation", "doctor", "slot"]:
        assert f'name="{field}"' not in page
    console.post(url, {"status": Booking.Status.COMPLETED, "consultations": "3"})
    booking.refresh_from_db()
    assert booking.status == Booking.Status.REQUESTED
    assert console.get(reverse("admin:missions_booking_add")).status_code == 403
    assert console.get(reverse("admin:missions_booking_delete", args=[booking.pk])).status_code == 403


# --- slots ----------------------------------------------------------------------------------------------------


def test_closing_a_slot_cancels_its_bookings(console, doctor, slot):
    booking = f.BookingFactory(doctor=doctor, slot=slot, status=Booking.Status.CONFIRMED)

    act(console, "sites.slot", "close", [slot], apply="Confirmer", reason="Travaux dans le cabinet.")

    slot.refresh_from_db()
    booking.refresh_from_db()
    assert slot.status == Slot.Status.CLOSED
    assert booking.status == Booking.Status.CANCELLED


# --- users ----------------------------------------------------------------------------------------------------


def test_accounts_are_created_by_national_administrators_not_by_ars_staff(console):
    # Least privilege (issue #12): an ARS agent does not create accounts; a national administrator does.
    payload = {
        "email": "Nouvelle.Personne@exemple.fr",
        "first_name": "Nouvelle",
        "last_name": "Personne",
        "usable_password": "true",
        "password1": "un-mot-de-passe-solide-2026",
        "password2": "un-mot-de-passe-solide-2026",
    }
    assert console.post(reverse("admin:accounts_user_add"), payload).status_code == 403
    assert not User.objects.filter(email="nouvelle.personne@exemple.fr").exists()
    console.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    response = console.post(reverse("admin:accounts_user_add"), payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    user = User.objects.get(email="nouvelle.personne@exemple.fr")
    assert user.check_password("un-mot-de-passe-solide-2026")


# --- at national scale -------------------------------------------------------------------------------------------


def test_the_date_hierarchy_lists_the_years_and_months_that_hold_rows(console, zone):
    """Found by probing the date index (config/admin_scale.py), not by a DISTINCT over every row: same answer."""
    site = f.HostSiteFactory(zone=zone)
    today = timezone.localdate()
    days = [today.replace(month=1, day=10), today.replace(month=3, day=5), today.replace(year=today.year + 1, day=1)]
    for day in days:
        f.BookingFactory(slot=f.SlotFactory(site=site, date=day), status=Booking.Status.CANCELLED)
    bookings = reverse("admin:missions_booking_changelist")
    qs = Booking.objects.all()
    probed = console.get(bookings).context["cl"].queryset
    assert list(probed.dates("date", "year")) == list(qs.dates("date", "year"))
    assert list(probed.dates("date", "month", "DESC")) == list(qs.dates("date", "month", "DESC"))
    assert list(probed.dates("date", "day")) == list(qs.dates("date", "day"))
    page = console.get(f"{bookings}?date__year={today.year}").content.decode()
    assert f"date__month=1&amp;date__year={today.year}" in page or f"date__year={today.year}&amp;date__month=1" in page
    assert "date__month=2&" not in page  # February holds no booking: not offered


def test_slots_and_sites_keep_their_link_filters_and_list_newest_first(console, zone):
    site = f.HostSiteFactory(zone=zone)
    old, new = f.SlotFactory(site=site, date=datetime.date(2026, 1, 5)), f.SlotFactory(site=site)
    f.BookingFactory(slot=new)
    slots = reverse("admin:sites_slot_changelist")
    cl = console.get(slots).context["cl"]
    assert list(cl.result_list)[:2] == [new, old] and cl.result_list[0].booked == 1
    for query in [f"zone__id__exact={zone.pk}", f"site__id__exact={site.pk}"]:
        assert set(console.get(f"{slots}?{query}").context["cl"].result_list) == {old, new}, query
    sites = reverse("admin:sites_hostsite_changelist")
    assert list(console.get(f"{sites}?zone__id__exact={zone.pk}").context["cl"].result_list) == [site]


@pytest.mark.parametrize(
    ("model", "budget"),
    [("missions.booking", 11), ("missions.doctor", 12), ("sites.slot", 11), ("sites.hostsite", 9)],
)
def test_the_large_changelists_stay_within_their_query_budget(console, zone, model, budget):
    """Session, user, second factor, the person's scope (one query: accounts.authority), permissions, filters, one
    COUNT (not two; with a date hierarchy, its bounds read by the same query), the page, the date hierarchy; and for personal records the access-log row of the bulk read."""
    for _ in range(3):
        BUILDERS[model]()
    app_label, model_name = model.split(".")
    assert changelist_queries(console, reverse(f"admin:{app_label}_{model_name}_changelist")) <= budget


def test_the_selection_box_of_a_row_is_written_as_django_writes_it(console, zone):
    """Written with format_html (config/admin_authority.py) rather than by rendering the widget's templates for
    each row: the same markup, the object's name escaped once."""
    from django.contrib.admin.options import ModelAdmin
    from django.contrib.admin.sites import site as admin_site

    booking = f.BookingFactory(doctor=f.DoctorFactory(last_name="Dupont & <Fils>"), slot=f.SlotFactory())
    ours = admin_site._registry[Booking].action_checkbox(booking)
    assert ours == ModelAdmin.action_checkbox(admin_site._registry[Booking], booking)
    assert "Dupont &amp; &lt;Fils&gt;" in ours
    page = console.get(reverse("admin:missions_booking_changelist")).content.decode()
    assert ours in page


def test_the_doctors_date_hierarchy_reads_its_months_once(console, zone):
    """The submission date is a date-time: the months that hold one, and the first and last, come from one query
    (config/admin_scale.py), the same answers as Django's."""
    moments = [
        datetime.datetime(2025, 12, 31, 23, 30, tzinfo=datetime.UTC),  # 1 January 2026 in Paris
        datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.UTC),
        datetime.datetime(2026, 3, 20, 10, 0, tzinfo=datetime.UTC),
    ]
    for moment in moments:
        doctor = f.DoctorFactory(zones=[zone])
        Doctor.objects.filter(pk=doctor.pk).update(submitted_at=moment)
    doctors = reverse("admin:missions_doctor_changelist")
    qs = Doctor.objects.all()
    with CaptureQueriesContext(connection) as queries:
        response = console.get(doctors)
    probed = response.context["cl"].queryset
    assert list(probed.datetimes("submitted_at", "year")) == list(qs.datetimes("submitted_at", "year"))
    assert list(probed.datetimes("submitted_at", "month", "DESC")) == list(
        qs.datetimes("submitted_at", "month", "DESC")
    )
    assert probed.aggregate(first=Min("submitted_at"), last=Max("submitted_at")) == qs.aggregate(
        first=Min("submitted_at"), last=Max("submitted_at")
    )
    assert sum("submitted_at" in q["sql"] and "MIN(" in q["sql"] for q in queries.captured_queries) == 1
    page = response.content.decode()
    assert "submitted_at__year=2026" in page and "submitted_at__year=2025" not in page  # Paris time


def test_the_bookings_date_bounds_are_read_once(console, zone):
    f.BookingFactory(slot=f.SlotFactory(site=f.HostSiteFactory(zone=zone)))
    with CaptureQueriesContext(connection) as queries:
        console.get(reverse("admin:missions_booking_changelist"))
    assert sum('MIN("missions_booking"."date")' in q["sql"] for q in queries.captured_queries) == 1


def test_the_count_and_the_date_bounds_come_from_one_read_of_the_list(console, zone):
    """The paginator's count also reads the date hierarchy's bounds (bookings: a date) or months (doctors: a
    date-time), in the same query (config/admin_scale.py): the same count as Django's, with a filter too."""
    site = f.HostSiteFactory(zone=zone)
    for day, status in [(datetime.date(2026, 1, 10), "cancelled"), (datetime.date(2026, 4, 2), "requested")]:
        f.BookingFactory(slot=f.SlotFactory(site=site, date=day), status=status)
    elsewhere = f.ZoneFactory(department=f.DepartmentFactory(region=f.RegionFactory(code="93", name="PACA")))
    f.BookingFactory(slot=f.SlotFactory(site=f.HostSiteFactory(zone=elsewhere)))  # another region: not counted
    for submitted in [
        datetime.datetime(2026, 2, 1, 9, tzinfo=datetime.UTC),
        datetime.datetime(2025, 6, 3, tzinfo=datetime.UTC),
    ]:
        doctor = f.DoctorFactory(zones=[zone])
        Doctor.objects.filter(pk=doctor.pk).update(submitted_at=submitted)
    for url, expected in [
        (reverse("admin:missions_booking_changelist"), 2),
        (reverse("admin:missions_booking_changelist") + "?status__exact=cancelled", 1),
        (reverse("admin:missions_doctor_changelist"), None),  # the doctors of the bookings and the two
    ]:
        with CaptureQueriesContext(connection) as queries:
            cl = console.get(url).context["cl"]
        django_count = cl.model.objects.filter(pk__in=cl.queryset.values("pk")).count()
        assert cl.result_count == django_count == len(cl.result_list) == (expected or django_count) >= 1, url
        sql = [q["sql"] for q in queries.captured_queries]
        assert not any('COUNT(*) AS "__count"' in q for q in sql), url  # no count of its own
        assert sum("COUNT(*)" in q and "MIN(" in q for q in sql) == 1, url
    bounds = console.get(reverse("admin:missions_booking_changelist")).context["cl"].queryset
    assert bounds.aggregate(first=Min("date"), last=Max("date")) == {
        "first": datetime.date(2026, 1, 10),
        "last": datetime.date(2026, 4, 2),
    }


def test_each_rows_link_is_the_url_django_writes(console, zone):
    """The changelist writes its rows' links from one `reverse` a page (config/admin_authority.py): the same URLs
    as Django's `url_for_result`, on the page."""
    from django.contrib.admin.views.main import ChangeList

    from config.admin_authority import LinkedChangeList

    bookings = [f.BookingFactory(slot=f.SlotFactory(site=f.HostSiteFactory(zone=zone))) for _ in range(2)]
    response = console.get(reverse("admin:missions_booking_changelist"))
    cl = response.context["cl"]
    assert isinstance(cl, LinkedChangeList)
    for booking in bookings:
        ours = cl.url_for_result(booking)
        assert ours == ChangeList.url_for_result(cl, booking) == f"/admin/missions/booking/{booking.pk}/change/"
        assert f'href="{ours}"' in response.content.decode()
