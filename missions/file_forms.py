"""Web forms of the volunteer's file (missions.doctor_file): the doctor's page and the CDOM's answer. They parse
what people type; the services decide."""

from django import forms
from dsfr.forms import DsfrBaseForm

from missions.forms import ZoneChoiceField, active_zones
from missions.models import Doctor


class DetailsForm(DsfrBaseForm):
    prefix = "dossier"

    phone = forms.CharField(
        label="Téléphone",
        max_length=30,
        required=False,
        widget=forms.TextInput({"autocomplete": "tel", "type": "tel"}),
    )
    sector = forms.ChoiceField(label="Secteur conventionnel", choices=Doctor.Sector.choices)
    mode = forms.ChoiceField(label="Mode d'exercice", choices=Doctor.Mode.choices)
    replacement_declared = forms.BooleanField(
        label="Je me fais remplacer à mon cabinet pendant les jours de mission (remplacement déclaré)",
        required=False,
    )


class InsuranceForm(DsfrBaseForm):
    prefix = "rcp"

    insurer = forms.CharField(label="Assureur (responsabilité civile professionnelle)", max_length=150)
    insurance_contract = forms.CharField(label="Numéro de contrat", max_length=60)
    insurance_covers_sites = forms.BooleanField(
        label="J'atteste que ce contrat couvre mon exercice sur les lieux d'accueil de la mission",
        required=False,
    )


class AddZoneForm(DsfrBaseForm):
    prefix = "zone"

    zone = ZoneChoiceField(label="Zone à ajouter", queryset=active_zones(), empty_label="Choisissez une zone")

    def __init__(self, *args, doctor: Doctor, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["zone"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = active_zones().exclude(pk__in=doctor.zones.values("pk"))


class CdomDecisionForm(DsfrBaseForm):
    decision = forms.ChoiceField(
        label="Avis du conseil départemental de l'Ordre",
        choices=[("authorised", "Autorisé"), ("refused", "Refusé")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Motif (obligatoire en cas de refus)",
        max_length=500,
        required=False,
        widget=forms.Textarea({"rows": 3}),
    )
