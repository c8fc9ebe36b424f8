"""Every kind of message is one Notice with its three templates (notifications.notices)."""

from pathlib import Path

from django.conf import settings

from notifications.kinds import NOTICES

TEMPLATES = Path(settings.BASE_DIR) / "templates" / "notifications"
PARTS = ("subject.txt", "body.txt", "body.html")


# Issue #14: each branch declares the notices of its app; this passes once they are all merged (then drop the marker).
def test_every_template_folder_is_one_notice_and_every_notice_has_its_templates():
    folders = {path.name for path in TEMPLATES.iterdir() if path.is_dir()}
    without_notice = sorted(folders - NOTICES.keys())
    without_folder = sorted(NOTICES.keys() - folders)
    missing_parts = sorted(
        f"{kind}/{part}"
        for kind in NOTICES.keys() & folders
        for part in PARTS
        if not (TEMPLATES / kind / part).exists()
    )
    assert (without_notice, without_folder, missing_parts) == ([], [], []), (
        f"template folders without a Notice: {without_notice}; "
        f"Notices without a folder: {without_folder}; missing templates: {missing_parts}"
    )


def test_billing_declares_its_notices_with_their_templates():
    billing = {kind for kind, notice in NOTICES.items() if notice.__module__ == "billing.notices"}
    assert billing == {
        "statement_issued",
        "statement_ready",
        "doctor_validated_cdom",
        "doctor_validated_cpam",
        "first_booking_cpam",
        "billing_number_recorded",
    }
    assert all((TEMPLATES / kind / part).is_file() for kind in billing for part in PARTS)
