from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from registrum.policy import Level, active_policy
from registrum.records.listing import RegisterFilters
from registrum.records.models import Direction


def level_choices(blank: bool = True) -> list[tuple[str, object]]:
    choices: list[tuple[str, object]] = [(level.name, style.marking) for level, style in active_policy().levels.items()]
    return ([("", _("any level"))] if blank else []) + choices


class RegisterFilterForm(forms.Form):
    q = forms.CharField(label=_("Number, reference or subject"), required=False, max_length=200)
    registry = forms.CharField(label=_("Registry"), required=False, max_length=40)
    direction = forms.ChoiceField(
        label=_("Direction"), required=False, choices=[("", _("any direction")), *Direction.choices]
    )
    level = forms.ChoiceField(label=_("Classification"), required=False, choices=level_choices)
    registered_from = forms.DateField(
        label=_("Registered from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    registered_to = forms.DateField(
        label=_("Registered to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    originator = forms.CharField(label=_("Originator"), required=False, max_length=200)
    reference = forms.CharField(label=_("Reference"), required=False, max_length=100)

    def filters(self) -> RegisterFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return RegisterFilters(
            registry=data.get("registry", ""),
            direction=data.get("direction", ""),
            level=Level[data["level"]] if data.get("level") else None,
            registered_from=data.get("registered_from"),
            registered_to=data.get("registered_to"),
            originator=data.get("originator", ""),
            reference=data.get("reference", ""),
            q=data.get("q", ""),
        )
