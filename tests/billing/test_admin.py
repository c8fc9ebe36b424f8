"""The ARS console for statements: generate a month, issue, mark paid, nothing editable, no deleting an issued one."""

import datetime

import pytest
from django.urls import reverse

from billing.models import Cpam, Statement
from billing.services import generate_statement, issue_statement
from notifications.models import Message
from tests import factories as f
from tests.billing.conftest import OCTOBER

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_passwords")]


@pytest.fixture
def admin_client(client, ars_staff):
    client.force_login(ars_staff)
    return client


@pytest.fixture
def draft(doctor, cpam, attested_day, ars_staff):
    attested_day(doctor, datetime.date(2025, 10, 7))
    return generate_statement(cpam, OCTOBER, by=ars_staff)


def test_generate_a_month_from_the_console(admin_client, doctor, cpam, attested_day):
    attested_day(doctor, datetime.date(2025, 10, 7))
    url = reverse("admin:billing_statement_generate")
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(url, {"month": "2025-10"}, follow=True)

    assert "1 brouillon créé ou rafraîchi" in response.content.decode()
    assert Statement.objects.get().cpam == cpam


def test_generate_refusal_is_shown_on_the_form(admin_client, doctor, cpam, site):
    f.BookingFactory(doctor=doctor, slot=f.SlotFactory(site=site, date=datetime.date(2025, 10, 7)), status="completed")
    response = admin_client.post(reverse("admin:billing_statement_generate"), {"month": "2025-10"})
    assert response.status_code == 200 and "Aucun forfait" in response.content.decode()


def test_issue_and_mark_paid_actions(admin_client, draft):
    changelist = reverse("admin:billing_statement_changelist")
    page = admin_client.get(changelist).content.decode()
    assert draft.reference in page and "Générer les relevés d'un mois" in page

    # Issuing is irreversible and tells the CPAM: a confirmation page first, nothing done yet.
    confirm = admin_client.post(changelist, {"action": "issue", "_selected_action": [draft.pk]})
    assert confirm.status_code == 200 and "un relevé émis ne change plus" in confirm.content.decode()
    draft.refresh_from_db()
    assert draft.status == Statement.Status.DRAFT and not Message.objects.filter(kind="statement_issued").exists()

    admin_client.post(changelist, {"action": "issue", "_selected_action": [draft.pk], "apply": "Confirmer"})
    draft.refresh_from_db()
    assert draft.status == Statement.Status.ISSUED
    assert Message.objects.filter(kind="statement_issued").exists()

    response = admin_client.post(
        changelist, {"action": "issue", "_selected_action": [draft.pk], "apply": "Confirmer"}, follow=True
    )
    assert "Impossible de passer" in response.content.decode()

    admin_client.post(changelist, {"action": "mark_paid", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Statement.Status.ISSUED  # confirmation first
    admin_client.post(changelist, {"action": "mark_paid", "_selected_action": [draft.pk], "apply": "Confirmer"})
    draft.refresh_from_db()
    assert draft.status == Statement.Status.PAID


def test_the_change_page_is_read_only_with_lines_and_downloads(admin_client, draft, doctor):
    page = admin_client.get(reverse("admin:billing_statement_change", args=[draft.pk])).content.decode()
    assert doctor.rpps in page
    assert reverse("billing:statement_pdf", args=[draft.pk]) in page
    assert 'name="total_amount"' not in page


def test_an_issued_statement_offers_no_delete(admin_client, draft, ars_staff):
    issue_statement(draft, by=ars_staff)
    assert admin_client.get(reverse("admin:billing_statement_delete", args=[draft.pk])).status_code == 403
    changelist = admin_client.get(reverse("admin:billing_statement_changelist")).content.decode()
    assert "delete_selected" not in changelist


def test_cpam_email_is_editable_from_the_list(admin_client, cpam):
    changelist = reverse("admin:billing_cpam_changelist")
    data = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-0-id": cpam.pk,
        "form-0-email": "mission@cpam.exemple.fr",
        "_save": "Enregistrer",
    }
    admin_client.post(changelist, data)
    assert Cpam.objects.get(pk=cpam.pk).email == "mission@cpam.exemple.fr"


def test_line_list_is_read_only(admin_client, draft):
    response = admin_client.get(reverse("admin:billing_statementline_changelist"))
    assert response.status_code == 200
    line = draft.lines.get()
    assert admin_client.get(reverse("admin:billing_statementline_change", args=[line.pk])).status_code == 200
    assert admin_client.post(reverse("admin:billing_statementline_delete", args=[line.pk])).status_code == 403
