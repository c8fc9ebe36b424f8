"""`manage.py demo_code`: the second-factor code the demo ARS and admin accounts accept right now."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from operations.demo import DEMO_TOTP_KEY, current_demo_code


class Command(BaseCommand):
    help = (
        "Affiche le code de double authentification du moment pour les comptes de démonstration ars@demo.fr et "
        "admin@demo.fr (données de démonstration uniquement)."
    )

    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            raise CommandError("Pas de comptes de démonstration en production.")
        emails = sorted(
            TOTPDevice.objects.filter(key=DEMO_TOTP_KEY, confirmed=True).values_list("user__email", flat=True)
        )
        if not emails:
            raise CommandError("Aucun compte de démonstration : lancez d'abord `manage.py seed_demo`.")
        code, seconds = current_demo_code()
        self.stdout.write(f"Code pour {', '.join(emails)} : {code} (encore {seconds} s)")
