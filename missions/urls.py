from django.urls import path

from missions.views import ars, doctor, doctor_file, feeds, host, invitations, public

app_name = "missions"

urlpatterns = [
    path("lieux/", public.public_sites, name="public_sites"),
    # Doctor space
    path("medecin/inscription/", doctor.register, name="register"),
    path("medecin/inscription/dossier-recu/", doctor.registered, name="registered"),
    path("medecin/", doctor.home, name="doctor_home"),
    path("medecin/mon-dossier/", doctor_file.my_file, name="doctor_file"),
    path("medecin/creneaux/", doctor.slots, name="doctor_slots"),
    path("medecin/creneaux/<int:slot_id>/reserver/", doctor.book, name="doctor_book"),
    path("medecin/missions/", doctor.my_missions, name="doctor_missions"),
    path("medecin/missions/<int:booking_id>/", doctor.mission, name="doctor_mission"),
    path("medecin/missions/<int:booking_id>/annuler/", doctor.cancel, name="doctor_cancel"),
    path("medecin/gains/", doctor.earnings, name="doctor_earnings"),
    path("medecin/disponibilites/", doctor.availability, name="doctor_availability"),
    path(
        "medecin/disponibilites/<int:availability_id>/retirer/",
        doctor.remove_availability,
        name="doctor_remove_availability",
    ),
    path("medecin/calendrier/", doctor.calendar, name="doctor_calendar"),
    path("medecin/calendrier/renouveler/", doctor.revoke_calendar, name="doctor_revoke_calendar"),
    path("calendrier/<str:token>.ics", feeds.ical_feed, name="ical_feed"),
    path("invitation/<str:token>/", invitations.accept_offer, name="accept_offer"),
    path("cdom/avis/<str:token>/", doctor_file.cdom_decision, name="cdom_decision"),
    # Host-site space (publishing slots: sites/urls.py)
    path("lieu/", host.home, name="host_home"),
    path("lieu/creneaux/<int:slot_id>/", host.slot_detail, name="host_slot"),
    path("lieu/creneaux/<int:slot_id>/proposer/<int:doctor_id>/", host.offer, name="host_offer"),
    path("lieu/creneaux/<int:slot_id>/fermer/", host.close, name="host_close_slot"),
    path("lieu/creneaux/<int:slot_id>/modifier/", host.edit_slot, name="host_edit_slot"),
    path("lieu/reservations/", host.bookings, name="host_bookings"),
    path("lieu/reservations/<int:booking_id>/confirmer/", host.confirm, name="host_confirm"),
    path("lieu/reservations/<int:booking_id>/refuser/", host.decline, name="host_decline"),
    path("lieu/attestations/", host.attestations, name="host_attestations"),
    path("lieu/attestations/<int:booking_id>/", host.attest, name="host_attest"),
    path("lieu/attestations/<int:booking_id>/corriger/", host.correct_attestation, name="host_correct_attestation"),
    # ARS
    path("ars/", ars.dashboard, name="ars_dashboard"),
]
