"""Commands: `destruction list|propose|approve|reject|sign|certificate|dispose`. Each signer
signs as themselves (`--as`), as on the pages."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404

from registrum.custody import destruction as service
from registrum.custody.cli import Handler
from registrum.custody.models.destruction import Destruction
from registrum.org.models import Person, Registry


def add_commands(commands: argparse._SubParsersAction[Any]) -> dict[str, Handler]:
    parser = commands.add_parser("destruction", help="witnessed destruction and its certificate")
    sub = parser.add_subparsers(dest="destruction_command", required=True)
    listing = sub.add_parser("list", help="destructions of a registry")
    listing.add_argument("registry", help="registry code")
    propose = sub.add_parser("propose", help="propose destroying copies the registry holds")
    propose.add_argument("registry", help="registry code")
    propose.add_argument("copies", nargs="+", help="copy ids or label codes (RGC-...)")
    propose.add_argument("--reason", required=True)
    propose.add_argument("--method", default="")
    propose.add_argument("--destroy-electronic", action="store_true", help="also the electronic versions")
    for name, text in (
        ("approve", "approve (a control officer, not the proposer)"),
        ("sign", "sign as destroyer (first signature) or witness"),
        ("dispose", "dispose of the certificate after its period"),
    ):
        sub.add_parser(name, help=text).add_argument("destruction", help="destruction id or certificate number")
    reject = sub.add_parser("reject", help="reject (a control officer)")
    reject.add_argument("destruction")
    reject.add_argument("--note", default="")
    certificate = sub.add_parser("certificate", help="write the certificate PDF")
    certificate.add_argument("destruction")
    certificate.add_argument("--output", "-o", required=True, help="PDF file to write")
    return {"destruction": _run}


def _registry(code: str) -> Registry:
    registry = Registry.objects.filter(code=code.upper()).first()
    if registry is None:
        raise ValidationError({"registry": f"no registry {code!r}"})
    return registry


def _public_id(reference: str) -> str:
    """A destruction by its id or by its certificate number."""
    found = Destruction.objects.filter(number=reference.strip().upper()).values_list("public_id", flat=True).first()
    return found or reference.strip().lower()


def _show(destruction: Destruction, write: Callable[[str], None]) -> None:
    write(f"{destruction.number}\t{destruction.public_id}\t{destruction.get_state_display()}")


def _run(actor: Person, options: dict[str, Any], write: Callable[[str], None]) -> None:
    from registrum.custody.common import parse_copy_code

    command = options["destruction_command"]
    if command == "list":
        for destruction in service.destructions_of(actor, _registry(options["registry"])):
            write(f"{destruction.number}\t{destruction.public_id}\t{destruction.state}\t{destruction.reason}")
    elif command == "propose":
        ids = []
        for code in options["copies"]:
            parsed = parse_copy_code(code)
            if parsed is None:
                raise ValidationError({"copies": f"{code!r} is not a copy code"})
            ids.append(parsed)
        _show(
            service.propose_destruction(
                actor,
                _registry(options["registry"]),
                ids,
                options["reason"],
                method=options["method"],
                destroy_electronic=options["destroy_electronic"],
            ),
            write,
        )
    elif command == "approve":
        _show(service.approve_destruction(actor, _public_id(options["destruction"])), write)
    elif command == "reject":
        _show(service.reject_destruction(actor, _public_id(options["destruction"]), options["note"]), write)
    elif command == "sign":
        _show(service.sign_destruction(actor, _public_id(options["destruction"])), write)
    elif command == "dispose":
        _show(service.dispose_certificate(actor, _public_id(options["destruction"])), write)
    elif command == "certificate":
        destruction, pdf = service.certificate_pdf(actor, _public_id(options["destruction"]))
        Path(options["output"]).write_bytes(pdf)
        write(f"{destruction.number}: certificate written to {options['output']} ({len(pdf)} bytes)")
    else:  # pragma: no cover - argparse allows only the commands above
        raise Http404(command)
