"""Register pages. Thin: parse the request, call one service or listing, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.httpkit import too_large_response
from registrum.org.models import Unit
from registrum.org.requests import PersonRequest
from registrum.policy import active_policy
from registrum.records import services
from registrum.records.forms import RegisterFilterForm, level_choices
from registrum.records.listing import register_for
from registrum.records.models import AccessReason, Direction, File
from registrum.records.registration import FIELDS, InvalidRegistration, parse_registration
from registrum.storage import ContentTooLarge


@login_required
def register_list(request: PersonRequest) -> HttpResponse:
    form = RegisterFilterForm(request.GET or None)
    documents = register_for(request.user, form.filters())
    page = Paginator(documents, 50).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {
        "form": form,
        "page": page,
        "documents": rows,
        "page_level": max((d.level for d in rows), default=0),
        "query": _query_without_page(request),
    }
    if request.htmx:
        return render(request, "records/_results.html", {**context, "oob": True})
    return render(request, "records/list.html", context)


def _query_without_page(request: PersonRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def document_detail(request: PersonRequest, pk: int) -> HttpResponse:
    document = services.get_document_for(request.user, pk)
    addressees: dict[str, list[Any]] = {reason: [] for reason in AccessReason}
    for row in document.access_rows.select_related("unit", "person").order_by("granted_at", "id"):
        addressees[row.reason].append(row.unit or row.person)
    may_add = True
    try:
        services.check_may_add_version(request.user, document)
    except PermissionDenied:
        may_add = False
    return render(
        request,
        "records/detail.html",
        {
            "document": document,
            "page_level": document.level,
            "action_addressees": addressees[AccessReason.ACTION],
            "info_addressees": addressees[AccessReason.INFO],
            "grantees": addressees[AccessReason.GRANT],
            "may_grant": services.can_grant(request.user, document),
            "versions": document.versions.select_related("uploaded_by"),
            "history": services.history_for(request.user, pk),
            "may_add_version": may_add,
            "categories": active_policy().category_codes(document.category_mask),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def register_new(request: PersonRequest) -> HttpResponse:
    person = request.user
    registries = services.registries_for(person)
    if not registries:
        raise PermissionDenied(_("You are not on the staff of a registry."))
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {
        "direction": request.GET.get("direction", Direction.INCOMING),
        "registry": request.GET.get("registry", registries[0].code),
        "language": "en",
    }
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in FIELDS}
        values["categories"] = " ".join(request.POST.getlist("categories"))
        try:
            data = parse_registration(values)
            upload = request.FILES.get("content")
            document = services.register_document(
                person,
                data,
                upload=services.Upload(upload.name or "content", upload) if upload else None,
            )
        except InvalidRegistration as exc:
            errors = exc.by_field()
        except ValidationError as exc:
            errors = exc.message_dict
        except ContentTooLarge as exc:
            return too_large_response(request, exc.limit)
        else:
            messages.success(request, _("Registered as %(number)s.") % {"number": document.number})
            if "another" in request.POST:
                return redirect(
                    f"{reverse('records:new')}?direction={document.direction}&registry={document.registry.code}"
                )
            return redirect("records:detail", pk=document.pk)
    return render(
        request,
        "records/new.html",
        {
            "registries": registries,
            "values": values,
            "errors": errors,
            "directions": Direction.choices,
            "levels": level_choices(blank=False),
            "categories": [c.code for c in active_policy().categories],
            "selected_categories": values.get("categories", "").split(),
            "units": Unit.objects.order_by("code").values_list("code", "name"),
            "files": File.objects.filter(closed__isnull=True).values_list("code", "title"),
            "page_level": 0,
        },
        status=400 if errors else 200,
    )


@login_required
@require_POST
def upload_version(request: PersonRequest, pk: int) -> HttpResponse:
    upload = request.FILES.get("content")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("records:detail", pk=pk)
    try:
        version = services.add_version(request.user, pk, services.Upload(upload.name or "content", upload))
    except ContentTooLarge as exc:
        return too_large_response(request, exc.limit)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Version %(number)s uploaded.") % {"number": version.number})
    return redirect("records:detail", pk=pk)


@login_required
@require_POST
def grant(request: PersonRequest, pk: int) -> HttpResponse:
    try:
        grantee = services.find_person(request.POST.get("username", ""))
        services.grant_access(request.user, pk, person=grantee, note=request.POST.get("note", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Need-to-know granted to %(name)s.") % {"name": grantee})
    return redirect("records:detail", pk=pk)


@login_required
def download_version(request: PersonRequest, pk: int, number: int) -> FileResponse:
    version, stream = services.open_version(request.user, pk, number)
    return FileResponse(stream, as_attachment=True, filename=version.filename, content_type=version.media_type)
