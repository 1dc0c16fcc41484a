"""Forms of the administration pages: they parse and type what was typed; the services decide and
check the rest, and their errors are put back on the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registrum.org.models import Registry, RegistryKind, Role, Unit, UnitKind
from registrum.policy import Level, active_policy


def level_choices() -> list[tuple[str, str]]:
    return [(level.name, style.marking) for level, style in active_policy().levels.items()]


def briefing_choices() -> list[tuple[str, str]]:
    return [(b, b) for b in active_policy().briefings]


def unit_choices(blank: str = "–") -> list[tuple[str, str]]:
    return [("", blank)] + [(u.code, f"{u.code} – {u.name}") for u in Unit.objects.order_by("path")]


def registry_choices() -> list[tuple[str, str]]:
    return [("", "–")] + [(r.code, f"{r.code} – {r.name}") for r in Registry.objects.order_by("code")]


class ServiceForm(forms.Form):
    """A form whose service's ValidationError lands on the field it names (or the whole form)."""

    def take_errors(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, messages in exc.message_dict.items():
            field = name if name in self.fields else None
            for message in messages:
                self.add_error(field, message if field else f"{name}: {message}")

    def problems(self) -> list[str]:
        """Every error, each naming its field's label: shown at the top of the page."""
        out: list[str] = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else None
            out += [f"{label}: {e}" if label else str(e) for e in errors]
        return out


class PersonForm(ServiceForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    nationality = forms.CharField(label=_("Nationality (ISO 3166 three letters, e.g. DEU)"), max_length=3)
    position = forms.CharField(label=_("Position"), max_length=200, required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices()  # type: ignore[attr-defined]

    def chosen_unit(self) -> Unit | None:
        code = self.cleaned_data.get("unit")
        return Unit.objects.filter(code=code).first() if code else None

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"],
            "last_name": data["last_name"],
            "email": data["email"],
            "nationality": data["nationality"],
            "position": data["position"],
            "unit": self.chosen_unit(),
        }


class NewPersonForm(PersonForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Password (empty: the person cannot sign in until one is set)"),
        widget=forms.PasswordInput,
        required=False,
        strip=False,
    )
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    field_order = ["username", "first_name", "last_name", "email", "nationality", "position", "unit", "roles"]


class PasswordForm(ServiceForm):
    password = forms.CharField(label=_("New password"), widget=forms.PasswordInput, strip=False)


class RolesForm(ServiceForm):
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )


class ClearanceForm(ServiceForm):
    level = forms.ChoiceField(label=_("Level"))
    granted = forms.DateField(label=_("Granted on (YYYY-MM-DD)"), required=False)
    expires = forms.DateField(label=_("Expires on (YYYY-MM-DD)"))
    briefings = forms.MultipleChoiceField(label=_("Briefings"), widget=forms.CheckboxSelectMultiple, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = level_choices()  # type: ignore[attr-defined]
        self.fields["briefings"].choices = briefing_choices()  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "level": Level[data["level"]],
            "granted": data["granted"] or timezone.localdate(),
            "expires": data["expires"],
            "briefings": data["briefings"],
        }


class UnitForm(ServiceForm):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices, initial=UnitKind.BRANCH)


class NewUnitForm(UnitForm):
    parent = forms.ChoiceField(label=_("Under"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = unit_choices(str(_("(top level)")))  # type: ignore[attr-defined]


class MoveUnitForm(ServiceForm):
    parent = forms.ChoiceField(label=_("Move under"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = unit_choices(str(_("(top level)")))  # type: ignore[attr-defined]


class RegistryForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.ChoiceField(label=_("Unit"))
    accreditation = forms.ChoiceField(label=_("Accredited up to"))
    numbering_pattern = forms.CharField(label=_("Numbering pattern"), max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices()  # type: ignore[attr-defined]
        self.fields["accreditation"].choices = level_choices()  # type: ignore[attr-defined]

    def chosen_unit(self) -> Unit | None:
        return Unit.objects.filter(code=self.cleaned_data.get("unit") or "").first()


class NewRegistryForm(RegistryForm):
    code = forms.CharField(label=_("Code"), max_length=40)
    kind = forms.ChoiceField(label=_("Kind"), choices=RegistryKind.choices)
    parent = forms.ChoiceField(label=_("Parent registry"), required=False)

    field_order = ["code", "name", "kind", "unit", "parent", "accreditation", "numbering_pattern"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].choices = registry_choices()  # type: ignore[attr-defined]

    def chosen_parent(self) -> Registry | None:
        code = self.cleaned_data.get("parent")
        return Registry.objects.filter(code=code).first() if code else None


class StaffForm(ServiceForm):
    username = forms.CharField(label=_("Username"), max_length=150)


class DecisionForm(ServiceForm):
    note = forms.CharField(label=_("Note"), max_length=500, required=False)
