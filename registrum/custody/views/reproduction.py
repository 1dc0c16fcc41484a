"""Pages: reproducing a copy (at once, or on a request a control officer approves) and a
reproduction request with its decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import reproduction as service
from registrum.custody.common import material_of, require_staff
from registrum.custody.models import Copy, ReproductionState
from registrum.org.requests import PersonRequest
from registrum.policy import active_policy
from registrum.policy.custody import may_approve_reproduction, reproduction_needs_approval


def _copy(request: PersonRequest, public_id: str) -> Copy:
    copy = (
        Copy.objects.visible_to(request.user)
        .select_related("document", "registry", "container")
        .filter(public_id=public_id.lower())
        .first()
    )
    if copy is None:
        raise Http404("no such copy")
    return copy


@require_http_methods(["GET", "POST"])
def reproduction_new(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    copy = _copy(request, public_id)
    require_staff(person, copy.registry, "request_reproduction", copy.document)
    needs_approval = reproduction_needs_approval(active_policy(), material_of(copy))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        authority = request.POST.get("authority", "")
        try:
            count = int(request.POST.get("count", ""))
        except ValueError:
            errors = {"count": [_("give a whole number of copies")]}
        else:
            try:
                if needs_approval:
                    asked = service.request_reproduction(
                        person, copy.public_id, kind=kind, count=count, authority=authority
                    )
                else:
                    made = service.reproduce(person, copy.public_id, kind=kind, count=count, authority=authority)
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                if needs_approval:
                    messages.success(request, _("Reproduction requested: a control officer approves it."))
                    return redirect("custody:reproduction_detail", public_id=asked.public_id)
                numbers = ", ".join(str(c.number) for c in made)
                messages.success(request, _("Copy No. %(numbers)s made.") % {"numbers": numbers})
                return redirect("custody:reproduction_new", public_id=copy.public_id)
    return render(
        request,
        "custody/reproduction_new.html",
        {
            "copy": copy,
            "needs_approval": needs_approval,
            "kinds": [(k.value, k.label) for k in service.REPRODUCTION_KINDS],
            "values": request.POST,
            "errors": errors,
            "requests": list(service.requests_for(person, copy)[:50]),
            "page_level": copy.level,
        },
        status=400 if errors else 200,
    )


def reproduction_detail(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    asked = service.get_request(person, public_id)
    source = asked.source
    may_decide = asked.state == ReproductionState.REQUESTED and bool(
        may_approve_reproduction(
            active_policy(),
            person.subject(),
            source.registry_id,
            asked.requested_by_id,
            material_of(source),
            timezone.localdate(),
        )
    )
    return render(
        request,
        "custody/reproduction_detail.html",
        {"asked": asked, "copy": source, "may_decide": may_decide, "page_level": source.level},
    )


@require_POST
def reproduction_approve(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        asked = service.approve_reproduction(request.user, public_id)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Approved: copy No. %(numbers)s made.") % {"numbers": asked.made_numbers})
    return redirect("custody:reproduction_detail", public_id=public_id)


@require_POST
def reproduction_reject(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        service.reject_reproduction(request.user, public_id, request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Reproduction request rejected."))
    return redirect("custody:reproduction_detail", public_id=public_id)


urlpatterns: list[URLPattern] = [
    path("copies/<slug:public_id>/reproduce/", reproduction_new, name="reproduction_new"),
    path("reproductions/<slug:public_id>/", reproduction_detail, name="reproduction_detail"),
    path("reproductions/<slug:public_id>/approve/", reproduction_approve, name="reproduction_approve"),
    path("reproductions/<slug:public_id>/reject/", reproduction_reject, name="reproduction_reject"),
]
