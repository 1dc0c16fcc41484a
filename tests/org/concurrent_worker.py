"""Administrative acts for the concurrency tests (started with multiprocessing's spawn)."""

from __future__ import annotations

import os
from typing import Any


def _setup(db_url: str) -> None:
    os.environ["REGISTRUM_DATABASE_URL"] = db_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    import django

    django.setup()


def move(db_url: str, username: str, unit: str, parent: str, barrier: Any, results: Any) -> None:
    """Move `unit` under `parent` as `username`; report "moved" or the refusal."""
    _setup(db_url)
    from django.core.exceptions import ValidationError

    from registrum.org import services
    from registrum.org.models import Person, Unit

    actor = Person.objects.get(username=username)
    moving, under = Unit.objects.get(code=unit), Unit.objects.get(code=parent)
    barrier.wait(timeout=60)
    try:
        services.move_unit(actor, moving, under)
    except ValidationError as exc:
        results.put(("refused", " ".join(exc.messages)))
    else:
        results.put(("moved", unit))


def confirm(db_url: str, username: str, request_id: int, barrier: Any, results: Any) -> None:
    """Confirm a clearance request as `username`; report "confirmed" or the refusal."""
    _setup(db_url)
    from django.core.exceptions import ValidationError

    from registrum.org import services
    from registrum.org.models import Person

    officer = Person.objects.select_related("clearance").get(username=username)
    barrier.wait(timeout=60)
    try:
        services.confirm_clearance_request(officer, request_id)
    except ValidationError as exc:
        results.put(("refused", " ".join(exc.messages)))
    else:
        results.put(("confirmed", username))
