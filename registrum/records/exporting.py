"""Export of the register: exactly the registrations the person may see, in the import's own CSV
format (plus the registration columns), or as JSON. CSV cells are neutralised against formula
injection (OWASP) and the importer restores them."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date
from typing import Any, TextIO

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from registrum import audit
from registrum.audit.events import EventType
from registrum.policy import Level
from registrum.records.csvcells import neutralise
from registrum.records.listing import RegisterFilters, register_for
from registrum.records.models import Access, AccessReason
from registrum.records.registration import FIELDS, registration_values

EXPORT_COLUMNS = ("number", "registered_at", "void", *FIELDS)


def _rows(person: Any, filters: RegisterFilters, seen: set[int]) -> Iterator[dict[str, str]]:
    """The export's rows; `seen` collects their classification levels (for the audit event)."""
    addressees = Prefetch(
        "document__access_rows",
        queryset=Access.objects.filter(reason__in=[AccessReason.ACTION, AccessReason.INFO]).select_related(
            "unit", "person"
        ),
    )
    qs = register_for(person, filters).select_related("file").prefetch_related(addressees)
    for registration in qs.iterator(chunk_size=2000):
        document = registration.document
        seen.add(registration.level)
        source = f"registration:{registration.pk}"
        lists: dict[str, list[str]] = {AccessReason.ACTION: [], AccessReason.INFO: []}
        for row in document.access_rows.all():
            if row.source == source:
                lists[row.reason].append(row.grantee_label)
        values = registration_values(registration, document)
        values["action"] = ";".join(lists[AccessReason.ACTION])
        values["info"] = ";".join(lists[AccessReason.INFO])
        yield {
            "number": registration.number,
            "registered_at": registration.registered_at.isoformat(),
            "void": _("VOID") if registration.is_void else "",
            **values,
        }


def export_register(person: Any, out: TextIO, *, fmt: str = "csv", filters: RegisterFilters | None = None) -> int:
    """Write the visible register to `out`, streaming; returns the number of documents written."""
    count = 0
    levels: set[int] = set()
    filters = filters or RegisterFilters()
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r} (use csv or json)")
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in _rows(person, filters, levels):
            writer.writerow({name: neutralise(value) for name, value in row.items()})
            count += 1
    else:
        out.write("[")
        for row in _rows(person, filters, levels):
            out.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    # A bulk read of the register is itself recorded: who took what (the filters) and how much
    # of it. The highest level exported keeps the filters (a typed subject, say) from readers of
    # the trail below it.
    with transaction.atomic():
        audit.record(
            person,
            EventType.REGISTER_EXPORTED,
            None,
            summary=f"{person.username} exported {count} registration(s) as {fmt}",
            data={
                "registry": filters.registry,
                "count": count,
                "format": fmt,
                "filters": _filters_data(filters),
                "highest_level": max(levels, default=0),
            },
        )
    return count


def _filters_data(filters: RegisterFilters) -> dict[str, str]:
    given = {name: getattr(filters, name) for name in RegisterFilters.__dataclass_fields__}
    out: dict[str, str] = {}
    for name, value in given.items():
        if value is None or value == "":
            continue
        if isinstance(value, Level):
            out[name] = value.name
        elif isinstance(value, date):
            out[name] = value.isoformat()
        else:
            out[name] = str(value)
    return out


__all__ = ["EXPORT_COLUMNS", "export_register"]
