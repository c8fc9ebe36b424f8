"""Forms of the CPAM space. They parse what people type; billing.services decides."""

from django import forms
from dsfr.forms import DsfrBaseForm


class BillingNumberForm(DsfrBaseForm):
    billing_number = forms.CharField(
        label="N° Assurance Maladie dédié",
        max_length=40,
        help_text="9 chiffres en général (de 8 à 20 chiffres acceptés) ; les espaces et les points sont ignorés.",
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "off"}),
    )
