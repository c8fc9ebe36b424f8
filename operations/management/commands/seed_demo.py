"""`manage.py seed_demo`: a believable month of activity on top of the reference data, and the demo logins."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from operations.demo import seed_demo

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


class Command(BaseCommand):
    help = (
        "Crée les données de démonstration (médecins, créneaux, réservations, comptes de démonstration) et affiche "
        "les identifiants. Idempotent. Refusé en production : les messages de la démonstration s'adressent aussi "
        "aux vrais CDOM et CPAM de la région."
    )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION or settings.EMAIL_BACKEND == SMTP_BACKEND:
            raise CommandError(
                "Données de démonstration refusées : elles ne se chargent ni en production ni avec un serveur SMTP "
                "configuré (les messages de la démonstration s'adressent aussi aux vrais CDOM et CPAM)."
            )
        report = seed_demo(on_step=lambda message: self.stdout.write(message))
        self.stdout.write(self.style.SUCCESS(f"Données de démonstration prêtes ({report.summary()})."))
        self.stdout.write("")
        self.stdout.write(f"Comptes de démonstration — mot de passe commun : {report.password}")
        width = max(len(role) for role, _, _ in report.logins)
        email_width = max(len(email) for _, email, _ in report.logins)
        for role, email, detail in report.logins:
            self.stdout.write(f"  {role:<{width}}  {email:<{email_width}}  {detail}".rstrip())
        self.stdout.write("  (médecins : medecin-1@demo.fr … medecin-60@demo.fr)")
        if report.totp_secret:
            self.stdout.write(
                f"Double authentification de ars@demo.fr et admin@demo.fr : clé « {report.totp_secret} » à saisir "
                "dans une application d'authentification, ou le code du moment : "
                "`.venv/bin/python manage.py demo_code`."
            )
        self.stdout.write("Les messages de la démonstration restent dans la file d'envoi (rien n'est envoyé).")
