"""Sign-in events, audited as Django and django-axes announce them: every login, logout,
failure and lockout, each in its own transaction. Failures name the username tried (never the
password) and the address."""

from __future__ import annotations

from typing import Any

from axes.helpers import get_client_ip_address
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from registrum import audit
from registrum.accounts import sessions
from registrum.audit.events import EventType
from registrum.org.models import Person


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    cached = getattr(request, "axes_ip_address", None)
    return cached or get_client_ip_address(request)


@receiver(user_logged_in, dispatch_uid="registrum.accounts.audit_login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Person, **kwargs: Any) -> None:
    address = client_address(request)
    if request is not None and hasattr(request, "session"):
        sessions.start(request)
    with transaction.atomic():
        audit.record(
            user, EventType.LOGIN, user, summary=f"{user.username} signed in from {address}", data={"address": address}
        )


@receiver(user_logged_out, dispatch_uid="registrum.accounts.audit_logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Person | None, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "registrum_logout_reason", "signed out") if request is not None else "signed out"
    with transaction.atomic():
        audit.record(
            user,
            EventType.LOGOUT,
            user,
            summary=f"{user.username}: {reason}",
            data={"address": client_address(request), "reason": reason},
        )


def _attempted(credentials: dict[str, Any]) -> str:
    return str(credentials.get("username") or "")[:150]


@receiver(user_login_failed, dispatch_uid="registrum.accounts.audit_login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    username = _attempted(credentials)
    address = client_address(request)
    with transaction.atomic():
        audit.record(
            None,
            EventType.LOGIN_FAILED,
            None,
            summary=f"sign-in as {username!r} from {address} failed",
            data={"username": username, "address": address},
        )


@receiver(user_locked_out, dispatch_uid="registrum.accounts.audit_locked_out")
def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, ip_address: str | None, **kw: Any
) -> None:
    with transaction.atomic():
        audit.record(
            None,
            EventType.LOCKED_OUT,
            None,
            summary=f"sign-in as {username!r} from {ip_address} locked out after repeated failures",
            data={"username": (username or "")[:150], "address": ip_address},
        )
