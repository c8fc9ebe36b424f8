"""The practical pack of a mission day: what a doctor needs to know to work at a host site.

One definition, read by the booking confirmation e-mail, the doctor's booking page and the iCal event: the site's
full address, its contact (a tap-to-call link), the premises fee if the commune charges one, the equipment
(SESAM-Vitale reader, software), lodging, and the CPAM of the site's department — billing questions are answered
on site by that CPAM, not by the doctor's own. The CPAM lives in billing, above this app: billing answers the
`site_cpam_contacts` signal (missions.signals).
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from core.words import sentence
from missions.signals import site_cpam_contacts
from sites.models import HostSite


@dataclass(frozen=True)
class CpamContact:
    name: str
    phone: str = ""
    email: str = ""
    address: str = ""

    @property
    def text(self) -> str:
        return " – ".join(part for part in (self.name, self.phone, self.email, self.address) if part)


def tel_href(phone: str) -> str:
    """`tel:` link of a French number as typed (« 04 71 00 00 00 » → tel:+33471000000); '' when there is none."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    if not digits:
        return ""
    if digits.startswith("0") and len(digits) == 10:
        digits = "+33" + digits[1:]
    return f"tel:{digits}"


def french_money(amount: Decimal) -> str:
    text = f"{amount:.2f}".replace(".", ",")
    return text[:-3] if text.endswith(",00") else text


@dataclass(frozen=True)
class PracticalPack:
    site_name: str
    full_address: str
    contact_name: str
    contact_phone: str
    contact_email: str
    premises_fee: Decimal | None
    sesam_vitale_reader: bool
    software: str
    equipment_notes: str
    lodging_notes: str
    cpam: CpamContact | None

    @property
    def contact_tel(self) -> str:
        return tel_href(self.contact_phone)

    @property
    def premises_text(self) -> str:
        if self.premises_fee is None:
            return "Local mis à disposition sans frais."
        return f"La commune facture le local : {french_money(self.premises_fee)} € par jour, à votre charge."

    @property
    def equipment_text(self) -> str:
        reader = (
            "Lecteur de carte Vitale (SESAM-Vitale) sur place."
            if self.sesam_vitale_reader
            else "Pas de lecteur de carte Vitale sur place : apportez le vôtre ou des feuilles de soins papier."
        )
        parts = [reader]
        if self.software:
            parts.append(sentence(f"Logiciel : {self.software}"))
        if self.equipment_notes:
            parts.append(sentence(self.equipment_notes))
        return " ".join(parts)

    @property
    def cpam_text(self) -> str:
        if self.cpam is None:
            return "CPAM du département du lieu : coordonnées à demander au lieu d'accueil."
        return f"Questions de facturation sur place : {self.cpam.text}"

    def lines(self) -> list[str]:
        """The pack as plain-text lines (text e-mail, iCal DESCRIPTION)."""
        contact = " ".join(part for part in (self.contact_name, self.contact_phone, self.contact_email) if part)
        lines = [f"Adresse : {self.full_address}"]
        if contact:
            lines.append(f"Contact sur place : {contact}")
        lines.append(f"Local : {self.premises_text}")
        lines.append(f"Équipement : {self.equipment_text}")
        if self.lodging_notes:
            lines.append(f"Hébergement : {self.lodging_notes}")
        lines.append(self.cpam_text)
        return lines

    @property
    def text(self) -> str:
        return "\n".join(self.lines())


def full_address(site: HostSite) -> str:
    """« 1 place de la Mairie, 43100 Brioude »: the site's street address, postcode and commune."""
    return site.postal_address


def _cpam_contacts(department_ids: Iterable[int]) -> dict[int, CpamContact]:
    wanted = sorted(set(department_ids))
    found: dict[int, CpamContact] = {}
    if not wanted:
        return found
    for _receiver, answer in site_cpam_contacts.send(sender=PracticalPack, department_ids=wanted):
        if isinstance(answer, dict):
            found.update(answer)
    return found


def practical_packs(sites: Iterable[HostSite]) -> dict[int, PracticalPack]:
    """The packs of several sites (their commune loaded), by site id: one CPAM lookup for them all."""
    sites = list(sites)
    cpams = _cpam_contacts(site.commune.department_id for site in sites)
    return {
        site.pk: PracticalPack(
            site_name=site.name,
            full_address=full_address(site),
            contact_name=site.contact_name,
            contact_phone=site.contact_phone,
            contact_email=site.contact_email,
            premises_fee=site.premises_fee,
            sesam_vitale_reader=site.sesam_vitale_reader,
            software=site.software,
            equipment_notes=site.equipment_notes,
            lodging_notes=site.lodging_notes,
            cpam=cpams.get(site.commune.department_id),
        )
        for site in sites
    }


def practical_pack(site: HostSite) -> PracticalPack:
    return practical_packs([site])[site.pk]
