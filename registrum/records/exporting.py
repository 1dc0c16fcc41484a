"""Export of the register: exactly what the person may see, in the import's own CSV format
(plus the registration columns), or as JSON lines of the API's document shape."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any, TextIO

from django.db import transaction
from django.db.models import Prefetch

from registrum import audit
from registrum.policy import Level, active_policy
from registrum.records.listing import RegisterFilters, register_for
from registrum.records.models import Access, AccessReason
from registrum.records.registration import FIELDS

EXPORT_COLUMNS = ("number", "registered_at", *FIELDS)


def _rows(person: Any, filters: RegisterFilters) -> Iterator[dict[str, str]]:
    policy = active_policy()
    addressees = Prefetch(
        "access_rows",
        queryset=Access.objects.filter(reason__in=[AccessReason.ACTION, AccessReason.INFO]).select_related(
            "unit", "person"
        ),
    )
    qs = register_for(person, filters).select_related("file").prefetch_related(addressees)
    for document in qs.iterator(chunk_size=2000):
        lists: dict[str, list[str]] = {AccessReason.ACTION: [], AccessReason.INFO: []}
        for row in document.access_rows.all():
            lists[row.reason].append(row.unit.code if row.unit else f"@{getattr(row.person, 'username', '')}")
        yield {
            "number": document.number,
            "registered_at": document.registered_at.isoformat(),
            "registry": document.registry.code,
            "direction": document.direction,
            "document_date": document.document_date.isoformat() if document.document_date else "",
            "originator": document.originator,
            "originator_reference": document.originator_reference,
            "subject": document.subject,
            "subject_level": Level(document.subject_level).name,
            "level": Level(document.level).name,
            "categories": " ".join(policy.category_codes(document.category_mask)),
            "releasable_to": "/".join(document.releasable_nations),
            "action": ";".join(lists[AccessReason.ACTION]),
            "info": ";".join(lists[AccessReason.INFO]),
            "external_addressees": document.external_addressees,
            "file": document.file.code if document.file else "",
            "language": document.language,
            "pages": "" if document.pages is None else str(document.pages),
            "annexes": str(document.annexes),
            "downgrade_instruction": document.downgrade_instruction,
        }


def export_register(person: Any, out: TextIO, *, fmt: str = "csv", filters: RegisterFilters | None = None) -> int:
    """Write the visible register to `out`, streaming; returns the number of documents written."""
    count = 0
    filters = filters or RegisterFilters()
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r} (use csv or json)")
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS)
        writer.writeheader()
        for row in _rows(person, filters):
            writer.writerow(row)
            count += 1
    else:
        out.write("[")
        for row in _rows(person, filters):
            out.write(("," if count else "") + "\n" + json.dumps(row, ensure_ascii=False))
            count += 1
        out.write("\n]\n")
    # A bulk read of the register is itself recorded: who took how much of it.
    with transaction.atomic():
        audit.record(
            person,
            "records.register_exported",
            None,
            summary=f"{person.username} exported {count} registration(s) as {fmt}",
            data={"registry": filters.registry, "count": count},
        )
    return count


__all__ = ["EXPORT_COLUMNS", "export_register"]
