"""What the mission holds on a doctor (their record, zones, availability, bookings, who consulted their record),
and how closing their account anonymises it. Registered with accounts.privacy, which finds this module.

On closure the doctor leaves the mission through `withdraw_doctor` (future bookings cancelled, sites told), their
availability is erased, and the record keeps only what billing needs: the RPPS and the dedicated Assurance Maladie
number (a correction of an already stated day must still be paid or reversed to the right person); names and
phone are replaced, in the record and in its history.
"""

from accounts.models import AccessLog
from accounts.privacy import ANONYMOUS_FIRST_NAME, ANONYMOUS_LAST_NAME, register
from core.history import set_history_user
from missions.models import Booking, Doctor, new_ical_token
from missions.services import withdraw_doctor

CLOSURE_REASON = "Fermeture du compte du médecin"


def _doctor_of(user) -> Doctor | None:
    return (
        Doctor.objects.select_related("practice_commune", "practice_department", "cdom_department")
        .filter(user=user)
        .first()
    )


def export_doctor(user) -> dict | None:
    doctor = _doctor_of(user)
    if doctor is None:
        return None
    bookings = Booking.objects.filter(doctor=doctor).select_related("slot__site", "zone").order_by("date", "pk")
    history = doctor.history.order_by("history_date").values("history_date", "status", "status_reason")
    accesses = AccessLog.objects.filter(object_type="missions.doctor", object_id=str(doctor.pk)).select_related("user")
    return {
        "dossier": {
            "rpps": doctor.rpps,
            "prenom": doctor.first_name,
            "nom": doctor.last_name,
            "specialite": doctor.specialty,
            "secteur": doctor.get_sector_display(),
            "mode_d_exercice": doctor.get_mode_display(),
            "commune_d_exercice": str(doctor.practice_commune),
            "departement_d_exercice": str(doctor.practice_department),
            "cdom": str(doctor.cdom_department),
            "telephone": doctor.phone,
            "statut": doctor.get_status_display(),
            "motif_du_statut": doctor.status_reason,
            "depose_le": doctor.submitted_at,
            "valide_le": doctor.validated_at,
            "numero_assurance_maladie_dedie": doctor.billing_number,
            "carte_cps_demandee_le": doctor.cps_card_requested_on,
            "carte_cps_recue_le": doctor.cps_card_received_on,
            "remplacement_declare": doctor.replacement_declared,
        },
        "zones_couvertes": [{"siren": z.siren, "nom": z.name} for z in doctor.zones.order_by("name")],
        "disponibilites": [
            {"date": a.date, "periode": a.get_period_display()} for a in doctor.availabilities.order_by("date")
        ],
        "reservations": [
            {
                "date": b.date,
                "periode": b.get_period_display(),
                "lieu": b.slot.site.name,
                "zone": b.zone.name,
                "statut": b.get_status_display(),
                "demandee_le": b.requested_at,
                "confirmee_le": b.confirmed_at,
                "annulee_le": b.cancelled_at,
                "annulation_tardive": b.late_cancellation,
                "motif": b.reason,
                "attestee_le": b.attested_at,
                "consultations": b.consultations,
            }
            for b in bookings
        ],
        "historique_du_dossier": [
            {
                "le": h["history_date"],
                "statut": dict(Doctor.Status.choices).get(h["status"]),
                "motif": h["status_reason"],
            }
            for h in history
        ],
        "consultations_du_dossier_par_l_ars": [
            {"le": a.accessed_at, "par": a.user.get_full_name() or "Équipe ARS"} for a in accesses
        ],
    }


def close_doctor(user, by) -> None:
    doctor = _doctor_of(user)
    if doctor is None:
        return
    if doctor.status != Doctor.Status.WITHDRAWN:
        doctor = withdraw_doctor(doctor, by=by, reason=CLOSURE_REASON)
    doctor.availabilities.all().delete()
    doctor.zones.clear()
    doctor.first_name = ANONYMOUS_FIRST_NAME
    doctor.last_name = ANONYMOUS_LAST_NAME
    doctor.phone = ""
    doctor.ical_token = new_ical_token()
    set_history_user(doctor, by)
    doctor.save()
    doctor.history.update(first_name=ANONYMOUS_FIRST_NAME, last_name=ANONYMOUS_LAST_NAME, phone="")


register("mission", export=export_doctor, close=close_doctor, order=10)
