from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from registrum.accounts import passwords, resets, second_factor, services, sessions
from registrum.accounts.models import ApiToken
from registrum.accounts.signals import client_address
from registrum.org.models import Clearance, Person
from registrum.org.requests import PersonRequest


def _next(request: HttpRequest, default: str = settings.LOGIN_REDIRECT_URL) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default)


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: list(messages_) for field, messages_ in exc.message_dict.items()}
    return {"__all__": list(exc.messages)}


def expired_clearance(person: Person) -> Clearance | None:
    """The person's clearance if it has run out (they are told; nobody else is)."""
    try:
        clearance = person.clearance
    except Clearance.DoesNotExist:
        return None
    return None if clearance.is_valid(timezone.localdate()) else clearance


class LoginView(auth_views.LoginView):
    """Django's sign-in (one answer for a wrong username or password; the lockout is decided
    before any hashing, by django-axes), then a clear word to a person whose clearance expired."""

    template_name = "accounts/login.html"

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        clearance = expired_clearance(form.get_user())
        if clearance is not None:
            messages.warning(
                self.request,
                _(
                    "Your security clearance expired on %(date)s: you see no classified information until it is "
                    "renewed. Contact your security officer."
                )
                % {"date": clearance.expires.isoformat()},
            )
        return response


def locked_out(request: HttpRequest, response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """django-axes's answer to a locked-out sign-in: the same for any username, known or not."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


@login_required
def account(request: PersonRequest) -> HttpResponse:
    person = request.user
    context = {
        "second_factor_required": second_factor.is_required(person),
        "enrolled": second_factor.is_enrolled(person),
        "idle_minutes": settings.REGISTRUM_SESSION_IDLE_MINUTES,
        "max_hours": settings.REGISTRUM_SESSION_MAX_HOURS,
        "expired": expired_clearance(person),
    }
    return render(request, "accounts/account.html", context)


@sensitive_post_parameters("current", "password", "repeated")
@login_required
@require_http_methods(["GET", "POST"])
def change_password(request: PersonRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        current = request.POST.get("current", "")
        # The current password is checked like a sign-in: a wrong one counts towards the lockout
        # (and is audited), so a stolen session cannot guess it at leisure.
        if authenticate(request, username=request.user.username, password=current) is None:
            errors = {"current": [_("the current password is wrong")]}
            context = {"errors": errors, "help": passwords.PasswordRuleValidator().get_help_text()}
            return render(request, "accounts/password_change.html", context, status=400)
        try:
            passwords.change_own_password(
                request.user,
                current=current,
                new=request.POST.get("password", ""),
                repeated=request.POST.get("repeated", ""),
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            # This session goes on; every other session of the person ends with the old hash.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed. Your other sessions have ended."))
            return redirect("accounts:account")
    context = {"errors": errors, "help": passwords.PasswordRuleValidator().get_help_text()}
    return render(request, "accounts/password_change.html", context, status=400 if errors else 200)


@login_required
@require_POST
def sign_out_everywhere(request: PersonRequest) -> HttpResponse:
    sessions.end_all_sessions(request.user, address=client_address(request))
    request.registrum_logout_reason = "signed out everywhere"  # type: ignore[attr-defined]
    logout(request)
    messages.info(request, _("You were signed out on every device, this one included."))
    return redirect("accounts:login")


@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def reset_request(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        resets.request_code(username, client_address(request))
        # The same answer whether or not the account exists, and whether or not a code was sent.
        return HttpResponseRedirect(f"{reverse('accounts:reset_code')}?{urlencode({'username': username})}")
    return render(request, "accounts/reset_request.html")


@never_cache
@sensitive_post_parameters("code", "password", "repeated")
@login_not_required
@require_http_methods(["GET", "POST"])
def reset_code(request: HttpRequest) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    username = (request.POST.get("username") or request.GET.get("username") or "").strip()
    if request.method == "POST":
        try:
            resets.reset_password(
                username,
                request.POST.get("code", ""),
                request.POST.get("password", ""),
                request.POST.get("repeated", ""),
                address=client_address(request),
            )
        except resets.ResetRefused as exc:
            errors = {"code": list(exc.messages)}
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Your password was reset. Sign in with the new one."))
            return redirect("accounts:login")
    context = {
        "username": username,
        "errors": errors,
        "minutes": settings.REGISTRUM_RESET_CODE_MINUTES,
        "help": passwords.PasswordRuleValidator().get_help_text(),
    }
    return render(request, "accounts/reset_code.html", context, status=400 if errors else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: PersonRequest) -> HttpResponse:
    """Enrol an authenticator: the secret as text and as a QR code, then a first code confirms it
    and the ten recovery codes are shown, once. A person who owes a second factor and has an
    authenticator already gives it first (the middleware sends them to verify)."""
    person = request.user
    if second_factor.is_enrolled(person) and second_factor.is_required(person) and not person.is_verified():  # type: ignore[attr-defined]
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        codes = second_factor.confirm_enrolment(person, request.POST.get("code", ""), address=client_address(request))
        if codes is not None:
            device = second_factor.TOTPDevice.objects.get(user=person, confirmed=True)
            otp_login(request, device)
            shown_once = {"codes": codes, "next": _next(request)}
            return render(request, "accounts/otp_recovery_codes.html", shown_once)
        error = _("The code is wrong or no longer valid. Check the time on your device and try the current code.")
    device = second_factor.pending_enrolment(person)
    if device is None or request.method == "GET":
        device = second_factor.start_enrolment(person)
    context: dict[str, object] = {
        "secret": second_factor.secret_text(device),
        "qr": second_factor.qr_svg(device),
        "error": error,
        "next": _next(request),
        "required": second_factor.is_required(person),
    }
    return render(request, "accounts/otp_enrol.html", context, status=400 if error else 200)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: PersonRequest) -> HttpResponse:
    person = request.user
    if not second_factor.is_enrolled(person):
        return redirect(f"{reverse('accounts:otp_enrol')}?{urlencode({'next': _next(request)})}")
    error = None
    if request.method == "POST":
        device = second_factor.verify(person, request.POST.get("code", ""), address=client_address(request))
        if device is not None:
            otp_login(request, device)
            return HttpResponseRedirect(_next(request))
        error = _("The code is wrong or no longer valid.")
    context = {"error": error, "next": _next(request)}
    return render(request, "accounts/otp_verify.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: PersonRequest) -> HttpResponse:
    new_token = None
    error = None
    if request.method == "POST":
        if "revoke" in request.POST:
            # A token is addressed by its random prefix, never by its row number.
            try:
                services.revoke_token(request.user, request.POST["revoke"])
            except ApiToken.DoesNotExist:
                error = _("No such token: it does not exist or is not yours.")
        else:
            name = request.POST.get("name", "").strip() or "API"
            new_token = services.issue_token(request.user, request.user, name=name)
    rows = ApiToken.objects.filter(person_id=request.user.pk or 0, revoked_at__isnull=True).order_by("-created_at")
    context = {"tokens": rows, "new_token": new_token, "error": error}
    return render(request, "accounts/tokens.html", context, status=404 if error else 200)
