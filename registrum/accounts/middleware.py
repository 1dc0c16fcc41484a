"""Session limits and the second factor, enforced on every page (not on the API, whose bearer
tokens are their own credential)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from registrum.accounts import second_factor, sessions
from registrum.org.models import Person

API_PREFIX = "/api/"
# What a person who still owes the second factor may open: the two pages that take it, signing
# out and the language switch.
OPEN_BEFORE_SECOND_FACTOR = {"accounts:otp_verify", "accounts:otp_enrol", "accounts:logout", "set_language"}


def _is_page(request: HttpRequest) -> bool:
    return not request.path.startswith(API_PREFIX)


class SessionLifetimeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _is_page(request) and request.user.is_authenticated:
            reason = sessions.expiry_reason(request)
            if reason is not None:
                request.registrum_logout_reason = (  # type: ignore[attr-defined]
                    "session ended after inactivity" if reason == "idle" else "session reached its maximum lifetime"
                )
                logout(request)
                messages.info(
                    request,
                    _("Your session ended after a period without activity: please sign in again.")
                    if reason == "idle"
                    else _("Your session reached its maximum length: please sign in again."),
                )
                return HttpResponseRedirect(f"{resolve_url('accounts:login')}?{urlencode({'next': request.path})}")
        return self.get_response(request)


class SecondFactorMiddleware:
    """Until a person who needs a second factor has given it, every page sends them to give it
    (or to enrol an authenticator first)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: object, args: object, kwargs: object) -> HttpResponse | None:
        user = request.user
        if not _is_page(request) or not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return None
        if not isinstance(user, Person):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_SECOND_FACTOR:
            return None
        if not second_factor.is_required(user):
            return None
        name = "accounts:otp_verify" if second_factor.is_enrolled(user) else "accounts:otp_enrol"
        return HttpResponseRedirect(f"{reverse(name)}?{urlencode({'next': request.get_full_path()})}")


# What a person holding a password someone else set may open: the page that replaces it, and the
# ones before it (the second factor), signing out and the language switch.
OPEN_BEFORE_OWN_PASSWORD = {"accounts:password_change", *OPEN_BEFORE_SECOND_FACTOR}


class OwnPasswordMiddleware:
    """A password an administrator set opens only the page that replaces it: until then its
    holder reads nothing (the administrator knows it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view: object, args: object, kwargs: object) -> HttpResponse | None:
        user = request.user
        if not _is_page(request) or not isinstance(user, Person) or not user.must_change_password:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in OPEN_BEFORE_OWN_PASSWORD:
            return None
        messages.info(request, _("An administrator set your password: choose your own before going on."))
        return HttpResponseRedirect(reverse("accounts:password_change"))
