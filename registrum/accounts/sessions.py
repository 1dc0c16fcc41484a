"""Session limits (idle timeout, absolute lifetime) and "sign out everywhere"."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest

from registrum import audit
from registrum.audit.events import EventType
from registrum.org.models import Person

STARTED = "registrum_started"
SEEN = "registrum_seen"
# The last-seen time is rewritten at most this often, so a busy page does not save its session on every request.
SEEN_RESOLUTION_S = 30


def start(request: HttpRequest) -> None:
    now = int(time.time())
    request.session[STARTED] = now
    request.session[SEEN] = now


def expiry_reason(request: HttpRequest, now: float | None = None) -> str | None:
    """Why this signed-in session must end now, or None: too long idle, or too old."""
    now = time.time() if now is None else now
    session = request.session
    started = session.get(STARTED)
    seen = session.get(SEEN)
    if started is None or seen is None:
        start(request)  # a session from before these limits: they count from now
        return None
    if now - started > settings.REGISTRUM_SESSION_MAX_HOURS * 3600:
        return "lifetime"
    if now - seen > settings.REGISTRUM_SESSION_IDLE_MINUTES * 60:
        return "idle"
    if now - seen >= SEEN_RESOLUTION_S:
        session[SEEN] = int(now)
    return None


@transaction.atomic
def end_all_sessions(person: Person, *, address: str | None) -> None:
    """Every session of `person`, on every device, ends: the epoch is part of the session hash."""
    Person.objects.filter(pk=person.pk).update(session_epoch=F("session_epoch") + 1)
    audit.record(
        person,
        EventType.SESSIONS_ENDED,
        person,
        summary=f"{person.username} signed out everywhere",
        data={"address": address},
    )
