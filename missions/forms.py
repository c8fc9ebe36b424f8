"""Web forms of the doctor and host-site spaces. They parse what people type; services decide the rules."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils.formats import date_format
from dsfr.forms import DsfrBaseForm

from core.search import fold_term
from missions.models import Doctor
from missions.registration import Registration
from missions.rules import Replacement
from sites.identifiers import validate_rpps
from sites.models import Commune, Department, Period, Zone

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
INSEE_CODE = re.compile(r"^(\d{2}|2[AB])\d{3}$")
NAME_WITH_POSTCODE = re.compile(r"^(?P<name>[^(]+?)\s*(?:\((?P<postcode>\d{5}|2[AB]\d{3})\))?$", re.IGNORECASE)


class ZoneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Zone) -> str:
        return f"{obj.name} ({obj.department.code})"


class ZoneMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Zone) -> str:
        return f"{obj.name} ({obj.department.code})"


def active_zones():
    return Zone.objects.filter(active=True).select_related("department").order_by("department__code", "name")


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (on the form itself for fields it does not show)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class RegistrationForm(DsfrBaseForm):
    """Everything the ARS needs to review a volunteer's application (DESIGN.md §2)."""

    first_name = forms.CharField(
        label="Prénom",
        max_length=150,
        help_text="150 caractères au plus.",
        widget=forms.TextInput({"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Nom",
        max_length=150,
        help_text="150 caractères au plus.",
        widget=forms.TextInput({"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label="Adresse e-mail",
        help_text="Elle sert d'identifiant de connexion ; les messages de la mission y sont envoyés.",
        widget=forms.EmailInput({"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Téléphone (facultatif)",
        max_length=30,
        required=False,
        help_text="Pour que le lieu d'accueil puisse vous joindre la veille d'une mission.",
        widget=forms.TextInput({"autocomplete": "tel", "type": "tel"}),
    )
    password = forms.CharField(
        label="Mot de passe",
        strip=False,
        help_text="Au moins 10 caractères, pas uniquement des chiffres, pas trop proche de votre nom.",
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )
    password_confirm = forms.CharField(
        label="Confirmation du mot de passe",
        strip=False,
        widget=forms.PasswordInput({"autocomplete": "new-password"}),
    )
    rpps = forms.CharField(
        label="Numéro RPPS",
        min_length=11,
        max_length=11,
        validators=[validate_rpps],
        help_text="11 chiffres, inscrits sur votre carte CPS. Exemple : 10003456786.",
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "min_length": "Le numéro RPPS doit comporter exactement 11 chiffres.",
            "max_length": "Le numéro RPPS doit comporter exactement 11 chiffres.",
        },
    )
    specialty = forms.CharField(
        label="Spécialité", max_length=150, initial="Médecine générale", help_text="150 caractères au plus."
    )
    sector = forms.ChoiceField(label="Secteur conventionnel", choices=Doctor.Sector.choices, widget=forms.RadioSelect)
    mode = forms.ChoiceField(label="Mode d'exercice", choices=[("", "Choisissez")] + Doctor.Mode.choices)
    practice_commune = forms.CharField(
        label="Commune d'exercice principal",
        max_length=200,
        help_text="Tapez le nom de la commune et choisissez-la dans la liste, ou saisissez son code INSEE "
        "(5 caractères, par exemple 63113).",
        widget=forms.TextInput(
            {"list": "communes", "autocomplete": "off", "data-commune-search": reverse_lazy("sites:commune_search")}
        ),
    )
    cdom_department = forms.ModelChoiceField(
        label="Conseil départemental de l'Ordre d'inscription (facultatif)",
        queryset=Department.objects.order_by("code"),
        required=False,
        empty_label="Celui du département de ma commune d'exercice",
    )
    zones = ZoneMultipleChoiceField(
        label="Zones où vous pouvez venir consulter",
        queryset=active_zones(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Cochez au moins une zone. Vous pourrez réserver des créneaux dans ces zones.",
        error_messages={"required": "Choisissez au moins une zone."},
    )
    replacement_declared = forms.BooleanField(
        label="Je me fais remplacer à mon cabinet pendant les jours de mission (remplacement déclaré)",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = active_zones()

    def clean_practice_commune(self) -> Commune:
        """An INSEE code (what the suggestions fill in), or a commune name, with its postcode when it is ambiguous."""
        raw = " ".join(self.cleaned_data["practice_commune"].split())
        communes = Commune.objects.select_related("department")
        if INSEE_CODE.match(raw.upper()):
            commune = communes.filter(insee_code=raw.upper()).first()
            if commune is None:
                raise ValidationError(f"Aucune commune ne porte le code INSEE « {raw.upper()} ».")
            return commune
        named = NAME_WITH_POSTCODE.match(raw)
        found = []
        if named:
            matches = communes.filter(name__fold=fold_term(named.group("name")))
            if code := named.group("postcode"):  # a postcode, or the INSEE code of a commune without one
                matches = matches.filter(Q(postcodes__contains=code) | Q(insee_code=code.upper()))
            found = list(matches[:2])
        if not found:
            raise ValidationError(
                "Commune introuvable : choisissez-la dans la liste proposée ou saisissez son code INSEE (5 caractères)."
            )
        if len(found) > 1:
            raise ValidationError(
                "Plusieurs communes portent ce nom : choisissez-la dans la liste proposée ou saisissez son code INSEE."
            )
        return found[0]

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_confirm") and data["password"] != data["password_confirm"]:
            self.add_error("password_confirm", "Les deux mots de passe ne sont pas identiques.")
        return data

    def registration(self) -> Registration:
        """The application as the service takes it (raises ValidationError on what only it checks: the password's
        strength, an address that could be read two ways)."""
        data = self.cleaned_data
        return Registration(
            email=data["email"],
            password=data["password"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            rpps=data["rpps"],
            specialty=data["specialty"],
            sector=data["sector"],
            mode=data["mode"],
            practice_commune=data["practice_commune"],
            phone=data["phone"],
            zones=data["zones"],
            cdom_department=data["cdom_department"],
            replacement_declared=data["replacement_declared"],
            discreet=True,  # both answers end on « Dossier reçu »: the owner of a taken address is told by e-mail
        )


class SlotSearchForm(DsfrBaseForm):
    """Filters of the slot search (GET). Empty zone = the zones the doctor covers."""

    zone = ZoneChoiceField(label="Zone", queryset=active_zones(), required=False, empty_label="Mes zones")
    month = forms.ChoiceField(label="Mois", required=False)
    period = forms.ChoiceField(label="Période", required=False, choices=[("", "Toutes")] + Period.choices)

    def __init__(self, *args, months: list[date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = active_zones()
        self.fields["month"].choices = [("", "Les six prochains mois")] + [
            (m.strftime("%Y-%m"), date_format(m, "F Y")) for m in months
        ]

    def selected_month(self) -> date | None:
        value = self.cleaned_data.get("month") if self.is_valid() else None
        if not value:
            return None
        year, month = value.split("-")
        return date(int(year), int(month), 1)


class AvailabilityForm(DsfrBaseForm):
    date = forms.DateField(label="Date", widget=DATE_WIDGET)
    period = forms.ChoiceField(
        label="Période",
        choices=Period.choices,
        initial=Period.FULL_DAY,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].widget.inline = True


class SlotEditForm(DsfrBaseForm):
    capacity = forms.IntegerField(
        label="Nombre de places", min_value=1, max_value=20, help_text="Il ne peut qu'augmenter."
    )
    note = forms.CharField(
        label="Note pour les médecins",
        required=False,
        max_length=500,
        help_text="Accès, matériel, hébergement… 500 caractères au plus.",
        widget=forms.Textarea({"rows": 3}),
    )


class ReasonForm(DsfrBaseForm):
    reason = forms.CharField(label="Motif", max_length=500, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, label: str = "Motif", help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].help_text = help_text
        self._bound_fields_cache.clear()  # the DSFR base form bound its fields already, with the default label


class AttestForm(DsfrBaseForm):
    attended = forms.ChoiceField(
        label="Le médecin est-il venu ?",
        choices=[("yes", "Oui, il est venu"), ("no", "Non, il n'est pas venu")],
        widget=forms.RadioSelect,
    )
    consultations = forms.IntegerField(
        label="Nombre de consultations réalisées",
        required=False,
        min_value=0,
        max_value=200,
        help_text="Seulement s'il est venu.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].widget.inline = True

    def clean(self):
        data = super().clean()
        if data.get("attended") == "yes" and data.get("consultations") is None and "consultations" not in self.errors:
            self.add_error("consultations", "Indiquez le nombre de consultations réalisées (0 ou plus).")
        return data

    @property
    def came(self) -> bool:
        return self.cleaned_data["attended"] == "yes"


class CorrectAttestationForm(AttestForm):
    """The host site corrects its attestation: the same questions, and why (kept in the history, read by the ARS)."""

    reason = forms.CharField(
        label="Motif de la correction",
        max_length=500,
        widget=forms.Textarea({"rows": 3}),
        help_text="500 caractères au plus. Conservé dans l'historique de la réservation et lu par l'ARS.",
    )

    @classmethod
    def initial_for(cls, booking) -> dict:
        attended = booking.status == "completed"
        return {"attended": "yes" if attended else "no", "consultations": booking.consultations}


class ReplacementForm(DsfrBaseForm):
    """Who replaces the doctor at their main practice on the day booked (asked when their file declares a
    replacement). The rules (required or refused, the RPPS key, the date) are missions.rules.Replacement's."""

    replacement_name = forms.CharField(
        label="Nom et prénom de votre remplaçant", max_length=200, required=False, widget=forms.TextInput()
    )
    replacement_rpps = forms.CharField(
        label="N° RPPS de votre remplaçant",
        max_length=20,
        required=False,
        help_text="11 chiffres. Jusqu'à l'arrivée de votre nouvelle carte CPS, votre remplaçant ne peut pas "
        "télétransmettre : il utilise des feuilles de soins papier.",
        widget=forms.TextInput({"inputmode": "numeric"}),
    )
    derogation_requested_on = forms.DateField(
        label="Date de votre demande de dérogation au CNOM",
        required=False,
        help_text="Le remplacement pendant la mission relève d'une dérogation du Conseil national de l'Ordre.",
        widget=DATE_WIDGET,
    )

    def replacement(self) -> Replacement | None:
        """The typed replacement (ValidationError under each field's name when one is wrong)."""
        data = self.cleaned_data
        return Replacement.parse(
            data.get("replacement_name"), data.get("replacement_rpps"), data.get("derogation_requested_on")
        )
