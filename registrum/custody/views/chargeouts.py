"""Pages: charge-out and check-in, the registry's copies out on charge (due and overdue flagged)."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import chargeouts
from registrum.custody.views._staff import staffed_registries, staffed_registry
from registrum.org.models import Person
from registrum.org.requests import PersonRequest


def _due(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({"due": _("a date as YYYY-MM-DD")}) from None


@require_http_methods(["GET", "POST"])
def charge_outs(request: PersonRequest) -> HttpResponse:
    person = request.user
    registry = staffed_registry(person, request.GET.get("registry"), "list_charge_outs")
    errors: dict[str, list[str]] = {}
    values = {k: request.POST.get(k, "") for k in ("copy", "reader", "due", "note")}
    if request.method == "POST":
        try:
            reader = Person.objects.filter(username=values["reader"].strip().lstrip("@"), is_active=True).first()
            if reader is None:
                raise ValidationError({"reader": _("no such reader")})
            loan = chargeouts.charge_out(person, values["copy"], reader, due=_due(values["due"]), note=values["note"])
        except Http404:
            errors = {"copy": [_("no such copy")]}
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request,
                _("Copy No. %(number)s of %(total)s charged out to %(reader)s until %(due)s.")
                % {"number": loan.copy.number, "total": loan.copy.of_total, "reader": reader.username, "due": loan.due},
            )
            return redirect(f"{request.path}?registry={registry.code}")
    loans = chargeouts.open_charge_outs(person, registry)
    return render(
        request,
        "custody/chargeout_list.html",
        {
            "registry": registry,
            "registries": staffed_registries(person),
            "loans": loans,
            "values": values,
            "errors": errors,
            "page_level": max((loan.charge_out.copy.level for loan in loans), default=0),
        },
        status=400 if errors else 200,
    )


@require_POST
def check_in(request: PersonRequest) -> HttpResponse:
    registry = staffed_registry(request.user, request.GET.get("registry"), "check_in")
    try:
        loan = chargeouts.check_in(request.user, request.POST.get("copy", ""))
    except Http404:
        messages.error(request, _("No such copy."))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Copy No. %(number)s of %(total)s checked in.")
            % {"number": loan.copy.number, "total": loan.copy.of_total},
        )
    return redirect(f"{reverse('custody:chargeouts')}?registry={registry.code}")


def my_charge_outs(request: PersonRequest) -> HttpResponse:
    loans = chargeouts.readers_charge_outs(request.user, request.user)
    return render(
        request,
        "custody/chargeout_mine.html",
        {"loans": loans, "page_level": max((loan.charge_out.copy.level for loan in loans), default=0)},
    )


urlpatterns: list[URLPattern] = [
    path("chargeouts/", charge_outs, name="chargeouts"),
    path("chargeouts/checkin/", check_in, name="chargeout_checkin"),
    path("chargeouts/mine/", my_charge_outs, name="chargeouts_mine"),
]
