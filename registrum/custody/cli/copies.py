"""Commands: containers, combination changes, numbering copies, holdings and copy history.

registrum custody --as USER container REGISTRY CODE NAME --level CTS [--category ATOMAL] [--kind safe]
registrum custody --as USER container REGISTRY                   (list the registry's containers)
registrum custody --as USER combination CONTAINER --on 2026-11-27 --reason routine [--note ...]
registrum custody --as USER number DOCUMENT_ID --registry CR --count 3 [--container CODE]
registrum custody --as USER holdings REGISTRY [--level NS] [--container CODE]
registrum custody --as USER copies DOCUMENT_ID                   (the copy history)
registrum custody --as USER store COPY_ID_OR_CODE [--container CODE]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from registrum.custody import copies as service
from registrum.custody.cli import Handler
from registrum.custody.common import parse_copy_code
from registrum.custody.models import CombinationChange, Container, ContainerKind
from registrum.org.models import Person, Registry
from registrum.policy import Level, active_policy
from registrum.policy.custody import combination_change_due

Write = Callable[[str], None]


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    container = commands.add_parser("container", help="list a registry's containers, or take one into service")
    container.add_argument("registry", help="registry code")
    container.add_argument("code", nargs="?", help="the new container's code (omit to list)")
    container.add_argument("name", nargs="?", help="the new container's name")
    container.add_argument("--level", help="accreditation level (e.g. CTS)")
    container.add_argument("--category", action="append", default=[], help="a special category approved (repeat)")
    container.add_argument("--kind", default=ContainerKind.SAFE, choices=ContainerKind.values)
    container.add_argument("--room", default="")

    combination = commands.add_parser("combination", help="record a change of a container's combination")
    combination.add_argument("container", help="container code")
    combination.add_argument("--on", dest="changed_on", help="YYYY-MM-DD (default today)")
    combination.add_argument("--reason", required=True, choices=CombinationChange.Reason.values)
    combination.add_argument("--note", default="")

    number = commands.add_parser("number", help="number copies of a document held by a registry")
    number.add_argument("document", help="document id")
    number.add_argument("--registry", required=True)
    number.add_argument("--count", type=int, required=True)
    number.add_argument("--container", default="")

    holdings = commands.add_parser("holdings", help="the copies a registry holds, by level")
    holdings.add_argument("registry")
    holdings.add_argument("--level", default="")
    holdings.add_argument("--container", default="")

    copies = commands.add_parser("copies", help="every copy of a document with its movements")
    copies.add_argument("document", help="document id")

    store = commands.add_parser("store", help="move a held copy into a container of its registry")
    store.add_argument("copy", help="copy id or the code on its label")
    store.add_argument("--container", default="", help="container code (omit: out of any container)")

    return {
        "container": _container,
        "combination": _combination,
        "number": _number,
        "holdings": _holdings,
        "copies": _copies,
        "store": _store,
    }


def _registry(code: str) -> Registry:
    registry = Registry.objects.filter(code__iexact=code).first()
    if registry is None:
        raise ValidationError({"registry": f"unknown registry {code!r}"})
    return registry


def _container_by_code(code: str) -> Container | None:
    if not code:
        return None
    container = Container.objects.select_related("registry").filter(code__iexact=code).first()
    if container is None:
        raise ValidationError({"container": f"unknown container {code!r}"})
    return container


def _level(text: str, field: str) -> Level:
    try:
        return active_policy().level_from_text(text)
    except ValueError as exc:
        raise ValidationError({field: str(exc)}) from exc


def _container(actor: Person, options: dict[str, Any], write: Write) -> None:
    registry = _registry(options["registry"])
    if not options["code"]:
        today = timezone.localdate()
        for c in service.containers_of(actor, registry):
            due = "  COMBINATION CHANGE DUE" if combination_change_due(c.combination_changed_on, today) else ""
            categories = "/".join(active_policy().category_codes(c.category_mask)) or "-"
            write(
                f"{c.code}\t{c.name}\t{c.kind}\t{Level(c.accreditation).name}\t{categories}\t"
                f"{c.combination_changed_on or '-'}{due}"
            )
        return
    if not options["name"] or not options["level"]:
        raise ValidationError({"container": "a new container needs CODE, NAME and --level"})
    made = service.create_container(
        actor,
        registry=registry,
        code=options["code"],
        name=options["name"],
        accreditation=_level(options["level"], "level"),
        categories=options["category"],
        kind=options["kind"],
        room=options["room"],
    )
    write(f"{made.code} taken into service in {registry.code} ({made.public_id})")


def _combination(actor: Person, options: dict[str, Any], write: Write) -> None:
    container = _container_by_code(options["container"])
    if container is None:
        raise ValidationError({"container": "name the container by its code"})
    try:
        changed_on = date.fromisoformat(options["changed_on"]) if options["changed_on"] else timezone.localdate()
    except ValueError:
        raise ValidationError({"on": f"not a date (YYYY-MM-DD): {options['changed_on']!r}"}) from None
    # Staff of the container's registry only (the service refuses others).
    change = service.record_combination_change(
        actor, container, changed_on=changed_on, reason=options["reason"], note=options["note"]
    )
    write(f"combination of {container.code} changed on {change.changed_on} ({change.reason})")


def _number(actor: Person, options: dict[str, Any], write: Write) -> None:
    from registrum.records.services import get_document_for

    get_document_for(actor, options["document"])
    copies = service.number_copies(
        actor,
        options["document"],
        registry=_registry(options["registry"]),
        count=options["count"],
        container=_container_by_code(options["container"]),
    )
    for c in copies:
        write(f"{c.code}\tCopy No. {c.number} of {c.of_total}\t{c.marking}")


def _holdings(actor: Person, options: dict[str, Any], write: Write) -> None:
    registry = _registry(options["registry"])
    level = _level(options["level"], "level") if options["level"] else None
    copies = service.registry_holdings(actor, registry, container=_container_by_code(options["container"]), level=level)
    count = 0
    for c in copies.iterator(chunk_size=500):
        count += 1
        container = c.container.code if c.container else "-"
        copy_no = f"Copy No. {c.number} of {c.of_total}"
        write(f"{c.code}\t{c.marking}\t{c.document.public_id}\t{copy_no}\t{c.status}\t{container}")
    write(f"{count} copies")


def _copies(actor: Person, options: dict[str, Any], write: Write) -> None:
    document, histories = service.copies_of(actor, options["document"])
    write(f"{document.marking}\t{document.originator} {document.originator_reference}".rstrip())
    for h in histories:
        c = h.copy
        container = c.container.code if c.container else "-"
        write(f"Copy No. {c.number} of {c.of_total}\t{c.code}\t{c.status}\t{c.custodian_label or '-'}\t{container}")
        for e in h.events:
            write(
                f"  {e.at:%Y-%m-%d %H:%M}\t{e.kind}\t{e.by.username}\t{e.custodian or '-'}\t"
                f"{e.container or '-'}\t{e.reference or '-'}"
            )
    if not histories:
        write("no copies")


def _store(actor: Person, options: dict[str, Any], write: Write) -> None:
    public_id = parse_copy_code(options["copy"])
    if public_id is None:
        raise Http404(f"not a copy's id or code: {options['copy']!r}")
    service.copy_for(actor, public_id)
    copy = service.store_copy(actor, public_id, _container_by_code(options["container"]))
    place = copy.container.code if copy.container else "no container"
    write(f"Copy No. {copy.number} of {copy.of_total} now in {place}")
