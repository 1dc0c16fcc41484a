"""Register pages. Thin: parse the request, call one service or listing, render."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.httpkit import too_large_response
from registrum.org.models import Registry, Unit
from registrum.org.requests import PersonRequest
from registrum.policy import Action, Level, active_policy, clearance_ceiling
from registrum.records import services
from registrum.records.exporting import export_register
from registrum.records.forms import RegisterFilterForm, level_choices
from registrum.records.history import describe
from registrum.records.listing import CappedPaginator, register_for
from registrum.records.models import AccessReason, Direction, File
from registrum.records.registration import (
    CORRECTABLE_FIELDS,
    FIELDS,
    InvalidRegistration,
    parse_registration,
    registration_values,
)
from registrum.storage import ContentTooLarge


def register_list(request: PersonRequest) -> HttpResponse:
    form = RegisterFilterForm(request.GET or None)
    filters = form.filters()
    registrations = register_for(request.user, filters)
    counted = register_for(request.user, filters, for_count=True)
    page = CappedPaginator(registrations, 50, count_queryset=counted).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    context = {
        "form": form,
        "page": page,
        "registrations": rows,
        "page_level": max((r.level for r in rows), default=0),
        "query": _query_without_page(request),
    }
    if request.htmx:
        return render(request, "records/_results.html", {**context, "oob": True})
    return render(request, "records/list.html", context)


def register_export(request: PersonRequest) -> HttpResponse:
    """The register as the page shows it (the same filters), as CSV: audited like every export."""
    form = RegisterFilterForm(request.GET or None)
    out = io.StringIO()
    export_register(request.user, out, fmt="csv", filters=form.filters())
    response = HttpResponse(out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="register-{stamp}.csv"'
    return response


def _query_without_page(request: PersonRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def document_detail(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    document = services.get_document_for(person, public_id)
    registrations = services.registrations_of(person, document)
    rows: dict[str, list[Any]] = {reason: [] for reason in AccessReason}
    for row in document.access_rows.select_related("unit", "person", "registry").order_by("granted_at", "id"):
        rows[row.reason].append(row)
    decisions = services.page_decisions(person, document, registrations)
    for registration in registrations:
        registration.may_correct = decisions.correctable[registration.pk]  # type: ignore[attr-defined]
    history = services.history_for(person, document)
    for event in history.events:
        event.description = describe(event)
    return render(
        request,
        "records/detail.html",
        {
            "document": document,
            "registrations": registrations,
            "page_level": document.level,
            "action_addressees": [r.grantee_label for r in rows[AccessReason.ACTION]],
            "info_addressees": [r.grantee_label for r in rows[AccessReason.INFO]],
            # Who else was granted it is, like the rest of its access history, for the staff of a
            # holding registry and auditors; anyone else sees their own grant only.
            "grants": [g for g in rows[AccessReason.GRANT] if history.complete or g.person_id == person.pk],
            "complete_history": history.complete,
            "may_grant": decisions.may_grant,
            "versions": document.versions.select_related("uploaded_by"),
            "history": history.events,
            "may_add_version": decisions.may_add_version,
            "categories": active_policy().category_codes(document.category_mask),
        },
    )


def _form_level(person: Any, values: dict[str, str]) -> int:
    """The banner level of a form page that shows what the person typed: the level they chose,
    or, when it cannot be read, the highest they could have typed (over-marking is the safe
    side; under-marking is a leak)."""
    policy = active_policy()
    levels: list[int] = []
    for name in ("level", "subject_level"):
        text = values.get(name, "")
        if not text:
            continue
        try:
            levels.append(int(policy.level_from_text(text)))
        except ValueError:
            levels.append(int(clearance_ceiling(policy, person.subject(), timezone.localdate())))
    if not levels and any(values.get(name) for name in ("subject", "originator", "originator_reference")):
        return int(Level.NU)
    return max(levels, default=int(Level.NU))


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
            registration = services.register_document(
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
            messages.success(request, _("Registered as %(number)s.") % {"number": registration.number})
            if "another" in request.POST:
                return redirect(
                    f"{reverse('records:new')}?direction={registration.direction}&registry={registration.registry.code}"
                )
            return redirect("records:detail", public_id=registration.document.public_id)
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
            "page_level": _form_level(person, values) if request.method == "POST" else 0,
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def register_receipt(request: PersonRequest) -> HttpResponse:
    """Register the receipt of a document already known: find it by registration number or
    originator's reference (among what the clerk may see), pick the registry, register."""
    person = request.user
    registries = services.registries_for(person)
    if not registries:
        raise PermissionDenied(_("You are not on the staff of a registry."))
    text = (request.POST.get("q") or request.GET.get("q") or "").strip()[:100]
    candidates = services.find_known_documents(person, text) if text else []
    errors: list[str] = []
    if request.method == "POST":
        registry = Registry.objects.filter(
            code=request.POST.get("registry", ""), pk__in=[r.pk for r in registries]
        ).first()
        file_code = request.POST.get("file", "")
        file = File.objects.filter(code=file_code).first() if file_code else None
        if registry is None:
            errors.append(_("Choose one of your registries."))
        elif file_code and file is None:
            errors.append(_("unknown file %(code)s") % {"code": repr(file_code)})
        else:
            try:
                registration = services.register_receipt(
                    person,
                    request.POST.get("document", ""),
                    registry=registry,
                    direction=request.POST.get("direction", "IN"),
                    file=file,
                    external_addressees=request.POST.get("external_addressees", "")[:500],
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                messages.success(request, _("Receipt registered as %(number)s.") % {"number": registration.number})
                return redirect("records:detail", public_id=registration.document.public_id)
    return render(
        request,
        "records/receive.html",
        {
            "registries": registries,
            "q": text,
            "candidates": candidates,
            "errors": errors,
            "directions": Direction.choices,
            "files": File.objects.filter(closed__isnull=True).values_list("code", "title"),
            "page_level": max((d.level for d in candidates), default=0),
        },
        status=400 if errors else 200,
    )


@require_http_methods(["GET", "POST"])
def correct(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    registration = services.get_registration_for(person, public_id)
    document = registration.document
    services.require(person, Action.CORRECT, document, registration)
    values = registration_values(registration, document)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        changes = {name: request.POST.get(name, "") for name in CORRECTABLE_FIELDS if name in request.POST}
        values.update(changes)
        try:
            services.correct_registration(person, public_id, changes)
        except InvalidRegistration as exc:
            errors = exc.by_field()
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("%(number)s corrected.") % {"number": registration.number})
            return redirect("records:detail", public_id=document.public_id)
    return render(
        request,
        "records/correct.html",
        {
            "registration": registration,
            "document": document,
            "values": values,
            "errors": errors,
            "directions": Direction.choices,
            "files": File.objects.filter(closed__isnull=True).values_list("code", "title"),
            "page_level": document.level,
        },
        status=400 if errors else 200,
    )


@require_POST
def void(request: PersonRequest, public_id: str) -> HttpResponse:
    registration = services.get_registration_for(request.user, public_id)
    try:
        services.void_registration(request.user, public_id, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("%(number)s is void.") % {"number": registration.number})
    return redirect("records:detail", public_id=registration.document.public_id)


@require_POST
def upload_version(request: PersonRequest, public_id: str) -> HttpResponse:
    upload = request.FILES.get("content")
    if upload is None:
        messages.error(request, _("Choose a file to upload."))
        return redirect("records:detail", public_id=public_id)
    try:
        version = services.add_version(request.user, public_id, services.Upload(upload.name or "content", upload))
    except ContentTooLarge as exc:
        return too_large_response(request, exc.limit)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Version %(number)s uploaded.") % {"number": version.number})
    return redirect("records:detail", public_id=public_id)


@require_POST
def grant(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        grantee = services.find_grantee(request.POST.get("grantee") or request.POST.get("username", ""))
        result = services.grant_access(request.user, public_id, note=request.POST.get("note", ""), **grantee)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        name = next(iter(grantee.values()))
        if not result.created:
            messages.info(request, _("%(name)s already had this grant.") % {"name": name})
        else:
            messages.success(request, _("Need-to-know granted to %(name)s.") % {"name": name})
        if result.still_refused:
            messages.warning(
                request,
                _("%(name)s still cannot read it: %(reason)s.") % {"name": name, "reason": result.still_refused},
            )
    return redirect("records:detail", public_id=public_id)


@require_POST
def revoke(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        grantee = services.find_grantee(request.POST.get("grantee", ""))
        services.revoke_access(request.user, public_id, **grantee)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, _("Need-to-know of %(name)s revoked.") % {"name": next(iter(grantee.values()))})
    return redirect("records:detail", public_id=public_id)


def download_version(request: PersonRequest, public_id: str, number: int) -> FileResponse:
    version, stream = services.open_version(request.user, public_id, number)
    return FileResponse(stream, as_attachment=True, filename=version.filename, content_type=version.media_type)
