from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from registrum.audit.events import EventType
from registrum.audit.reading import AuditFilters


class AuditFilterForm(forms.Form):
    event = forms.ChoiceField(label=_("Event"), required=False, choices=[("", _("any event")), *EventType.choices])
    actor = forms.CharField(label=_("Actor (username)"), required=False, max_length=150)
    target = forms.CharField(
        label=_("Target (document id or number, @username, unit or registry code)"), required=False, max_length=100
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    q = forms.CharField(label=_("Text in summary"), required=False, max_length=200)

    def filters(self) -> AuditFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return AuditFilters(
            event=data.get("event", ""),
            actor=data.get("actor", ""),
            target=data.get("target", ""),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            q=data.get("q", ""),
        )
