from django import forms


class AskForm(forms.Form):
    """« Je souhaite en savoir plus sur une installation ici »: the place (hidden) and a few words."""

    zone = forms.IntegerField(required=False, widget=forms.HiddenInput)
    commune = forms.CharField(required=False, max_length=5, widget=forms.HiddenInput)
    message = forms.CharField(
        label="Votre message (facultatif)",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Votre projet, vos questions, quand vous joindre : le référent installation de l'ARS vous répondra.",
    )

    def clean(self):
        data = super().clean()
        if not data.get("zone") and not data.get("commune"):
            raise forms.ValidationError("Indiquez une zone ou une commune.")
        return data


class YearForm(forms.Form):
    annee = forms.IntegerField(label="Année", min_value=2020, max_value=2100, required=False)
