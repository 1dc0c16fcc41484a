"""How the audit trail's readers name the organisation's targets: a person by @username, a unit
or registry by its code. Nothing here is classified, so every detail is shown."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from registrum.audit.reading import TargetKind, register_target_kind
from registrum.org.models import Person, Registry, Unit


def _kind(model: type[Model], name_field: str, prefix: str = "") -> TargetKind:
    def find(reader: Any, text: str) -> list[int]:
        name = text.strip()
        if prefix:
            if not name.startswith(prefix):
                return []
            name = name[len(prefix) :]
        return list(model._default_manager.filter(**{f"{name_field}__iexact": name}).values_list("pk", flat=True))

    def labels(ids: list[int]) -> dict[int, tuple[str, int]]:
        rows = model._default_manager.filter(pk__in=ids).values_list("pk", name_field)
        return {pk: (f"{prefix}{name}", 0) for pk, name in rows}

    return TargetKind(find=find, labels=labels)


def register() -> None:
    register_target_kind("person", _kind(Person, "username", "@"))
    register_target_kind("unit", _kind(Unit, "code"))
    register_target_kind("registry", _kind(Registry, "code"))
