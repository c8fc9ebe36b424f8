"""Forms of the host-site pages that only touch sites (publishing slots)."""

from decimal import Decimal

from django import forms
from dsfr.forms import DsfrBaseForm

from sites.models import HostSite, Period

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
WEEKDAYS = [
    ("0", "Lundi"),
    ("1", "Mardi"),
    ("2", "Mercredi"),
    ("3", "Jeudi"),
    ("4", "Vendredi"),
    ("5", "Samedi"),
    ("6", "Dimanche"),
]


class PublishSlotsForm(DsfrBaseForm):
    """Many slots at once: every chosen weekday from one date to another."""

    site = forms.ModelChoiceField(label="Lieu d'accueil", queryset=HostSite.objects.none(), empty_label=None)
    start = forms.DateField(label="Du", widget=DATE_WIDGET)
    end = forms.DateField(label="Au (inclus)", widget=DATE_WIDGET)
    weekdays = forms.MultipleChoiceField(
        label="Jours de la semaine",
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Cochez au moins un jour de la semaine."},
    )
    period = forms.ChoiceField(
        label="Période", choices=Period.choices, initial=Period.FULL_DAY, widget=forms.RadioSelect
    )
    capacity = forms.IntegerField(
        label="Nombre de places (médecins accueillis en même temps)", min_value=1, max_value=20, initial=1
    )
    note = forms.CharField(
        label="Note pour les médecins (facultatif)",
        max_length=500,
        required=False,
        help_text="Par exemple : salle, équipement, stationnement, hébergement possible.",
        widget=forms.Textarea({"rows": 2}),
    )

    def __init__(self, *args, sites: list[HostSite], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = HostSite.objects.filter(pk__in=[s.pk for s in sites])
        self.fields["site"].choices = [(s.pk, s.name) for s in sites]
        if len(sites) == 1:
            self.fields["site"].widget = forms.HiddenInput()
            self.fields["site"].initial = sites[0].pk
        self.fields["weekdays"].widget.inline = True
        self.fields["period"].widget.inline = True

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "La date de fin doit suivre la date de début.")
        return data

    @property
    def weekday_numbers(self) -> set[int]:
        return {int(day) for day in self.cleaned_data["weekdays"]}


class PracticalPackForm(DsfrBaseForm):
    """What a doctor is told with each booking of this site (the practical pack)."""

    contact_name = forms.CharField(label="Personne à contacter sur place", max_length=200, required=False)
    contact_phone = forms.CharField(
        label="Téléphone du contact", max_length=30, required=False, widget=forms.TextInput({"type": "tel"})
    )
    contact_email = forms.EmailField(label="E-mail du contact", required=False)
    premises_fee = forms.DecimalField(
        label="Redevance pour le local (€ par jour)",
        required=False,
        min_value=Decimal("0.01"),
        max_digits=7,
        decimal_places=2,
        localize=True,  # « 12,50 »
        help_text="Certaines communes facturent le local au médecin. Laissez vide si le local est gratuit.",
    )
    sesam_vitale_reader = forms.BooleanField(
        label="Un lecteur de carte Vitale (SESAM-Vitale) est sur place", required=False
    )
    software = forms.CharField(label="Logiciel médical sur place", max_length=200, required=False)
    equipment_notes = forms.CharField(label="Équipement", required=False, widget=forms.Textarea({"rows": 3}))
    lodging_notes = forms.CharField(label="Hébergement", required=False, widget=forms.Textarea({"rows": 3}))
