"""The organisation as the staff see it (units and registries), and its administration: people,
roles, clearances, units, registries and staff for administrators, the queue of clearance
requests for control officers. Thin: a form parses, one service decides and changes, a page shows.
No page here lists or counts documents: administration never shows the register."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.org import forms, services
from registrum.org.models import Clearance, ClearanceRequest, Person, Registry, RequestState, Role, Unit
from registrum.org.requests import PersonRequest, path_key
from registrum.policy import Action, Decision, Level, active_policy

NBSP = "\u00a0"


@login_required
def organisation(request: PersonRequest) -> HttpResponse:
    units = list(Unit.objects.order_by("path"))
    for unit in units:
        unit.indent = NBSP * 3 * unit.depth  # type: ignore[attr-defined]
    registries = Registry.objects.select_related("parent", "unit").annotate(staff_count=Count("staff")).order_by("code")
    return render(
        request,
        "org/organisation.html",
        {
            "units": units,
            "registries": registries,
            "page_level": 0,
        },
    )


def _administrator(request: PersonRequest) -> None:
    services.require(request.user, Action.ADMINISTER)


def _page(request: PersonRequest, template: str, context: dict[str, Any], *, invalid: bool = False) -> HttpResponse:
    return render(request, template, {"page_level": 0, **context}, status=400 if invalid else 200)


# People ----------------------------------------------------------------------------------------


def people(request: PersonRequest) -> HttpResponse:
    _administrator(request)
    rows = (
        Person.objects.select_related("unit", "clearance")
        .prefetch_related("roles")
        .annotate(pending=Count("clearance_requests", filter=_pending_filter()))
        .order_by("username")
    )
    return _page(request, "org/people.html", {"people": rows, "today": timezone.localdate()})


def _pending_filter() -> Any:
    from django.db.models import Q

    return Q(clearance_requests__state=RequestState.PENDING)


@require_http_methods(["GET", "POST"])
def person_new(request: PersonRequest) -> HttpResponse:
    _administrator(request)
    form = forms.NewPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            person = services.create_person(
                request.user,
                username=data["username"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                nationality=data["nationality"],
                unit=form.chosen_unit(),
                email=data["email"],
                position=data["position"],
                password=data["password"] or None,
                roles=[Role(r) for r in data["roles"]],
            )
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("%(username)s created.") % {"username": person.username})
            return redirect("org:person", username=person.username)
    return _page(request, "org/person_form.html", {"form": form, "creating": True}, invalid=bool(form.errors))


def _person(username: str) -> Person:
    return get_object_or_404(
        Person.objects.select_related("unit", "clearance").prefetch_related("roles"), username=path_key(username)
    )


def _person_page(request: PersonRequest, person: Person, **forms_: Any) -> HttpResponse:
    """The person's page: details, roles, clearance (with the request awaiting confirmation),
    status and password, each form with the policy's answer for this administrator."""
    try:
        clearance: Clearance | None = person.clearance
    except Clearance.DoesNotExist:
        clearance = None
    target = services.person_target(person)
    held_roles = sorted(r.role for r in person.roles.all())
    roles_form = forms_.get("roles_form") or forms.RolesForm(initial={"roles": held_roles})
    clearance_form = forms_.get("clearance_form") or forms.ClearanceForm(
        initial={
            "level": Level(clearance.level).name if clearance else "",
            "expires": clearance.expires if clearance else None,
            "briefings": clearance.briefings if clearance else [],
        }
    )
    requests = ClearanceRequest.objects.filter(person=person).select_related("requested_by", "decided_by")[:10]
    invalid = any(f.errors for f in forms_.values())
    return _page(
        request,
        "org/person.html",
        {
            "person": person,
            "clearance": clearance,
            "clearance_valid": clearance.is_valid(timezone.localdate()) if clearance else False,
            "roles": [Role(r).label for r in held_roles],
            "roles_form": roles_form,
            "clearance_form": clearance_form,
            "password_form": forms_.get("password_form") or forms.PasswordForm(),
            "requests": requests,
            **_decisions(
                roles=services.decide(request.user, Action.CHANGE_ROLES, target),
                status=services.decide(request.user, Action.DEACTIVATE, target),
                password=services.decide(request.user, Action.SET_PASSWORD, services.reach_of(person)),
                clearance=services.decide(
                    request.user,
                    Action.CHANGE_CLEARANCE,
                    services.clearance_target(person, level=Level.NU, briefings=(), expires=timezone.localdate()),
                ),
            ),
            "is_self": person.pk == request.user.pk,
        },
        invalid=invalid,
    )


def _decisions(**decisions: Decision) -> dict[str, Any]:
    """`may_X` (the decision) and `why_X` (its reason in the reader's language) for a template."""
    out: dict[str, Any] = {}
    for name, decision in decisions.items():
        out[f"may_{name}"] = bool(decision)
        out[f"why_{name}"] = decision.render(_)
    return out


def person_detail(request: PersonRequest, username: str) -> HttpResponse:
    _administrator(request)
    return _person_page(request, _person(username))


@require_http_methods(["GET", "POST"])
def person_edit(request: PersonRequest, username: str) -> HttpResponse:
    _administrator(request)
    person = _person(username)
    initial = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "nationality": person.nationality,
        "position": person.position,
        "unit": person.unit.code if person.unit else "",
    }
    form = forms.PersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_person(request.user, person, **form.changes())
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("%(username)s changed.") % {"username": person.username})
            return redirect("org:person", username=person.username)
    return _page(
        request, "org/person_form.html", {"form": form, "person": person, "creating": False}, invalid=bool(form.errors)
    )


@require_POST
def person_roles(request: PersonRequest, username: str) -> HttpResponse:
    _administrator(request)
    person = _person(username)
    form = forms.RolesForm(request.POST)
    if form.is_valid():
        try:
            services.set_roles(request.user, person, form.cleaned_data["roles"])
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("Roles of %(username)s saved.") % {"username": person.username})
            return redirect("org:person", username=person.username)
    return _person_page(request, _person(username), roles_form=form)


@require_POST
def person_clearance(request: PersonRequest, username: str) -> HttpResponse:
    _administrator(request)
    person = _person(username)
    if "withdraw" in request.POST:
        services.withdraw_clearance(request.user, person)
        messages.success(request, _("Clearance of %(username)s withdrawn.") % {"username": person.username})
        return redirect("org:person", username=person.username)
    form = forms.ClearanceForm(request.POST)
    if form.is_valid():
        try:
            result = services.set_clearance(request.user, person, **form.values())
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            if isinstance(result, ClearanceRequest):
                messages.info(
                    request,
                    _("The clearance awaits a control officer's confirmation: %(reason)s.")
                    % {"reason": _(result.reason)},
                )
            else:
                messages.success(request, _("Clearance of %(username)s recorded.") % {"username": person.username})
            return redirect("org:person", username=person.username)
    return _person_page(request, _person(username), clearance_form=form)


@require_POST
def person_status(request: PersonRequest, username: str) -> HttpResponse:
    _administrator(request)
    person = _person(username)
    if request.POST.get("active") == "1":
        services.reactivate_person(request.user, person)
        messages.success(request, _("%(username)s reactivated.") % {"username": person.username})
    else:
        services.deactivate_person(request.user, person)
        messages.success(
            request,
            _("%(username)s deactivated: their sessions and API tokens no longer work.")
            % {"username": person.username},
        )
    return redirect("org:person", username=person.username)


@require_POST
def person_password(request: PersonRequest, username: str) -> HttpResponse:
    _administrator(request)
    person = _person(username)
    form = forms.PasswordForm(request.POST)
    if form.is_valid():
        try:
            services.set_password(request.user, person, form.cleaned_data["password"])
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("Password of %(username)s set.") % {"username": person.username})
            return redirect("org:person", username=person.username)
    return _person_page(request, person, password_form=form)


# Clearance requests ----------------------------------------------------------------------------


def _may_see_requests(person: Person) -> bool:
    return bool(services.decide(person, Action.ADMINISTER)) or person.has_role(Role.CONTROL_OFFICER)


def requests_queue(request: PersonRequest) -> HttpResponse:
    entries = [
        {
            "request": entry.request,
            "reason": _(entry.request.reason),
            "may_confirm": bool(entry.may_confirm),
            "may_reject": bool(entry.may_reject),
            "why_not": "" if entry.may_confirm else entry.may_confirm.render(_),
        }
        for entry in services.pending_requests(request.user)
    ]
    decided = (
        ClearanceRequest.objects.exclude(state=RequestState.PENDING)
        .select_related("person", "requested_by", "decided_by")
        .order_by("-decided_at", "-id")[:20]
    )
    return _page(request, "org/requests.html", {"entries": entries, "decided": decided, "form": forms.DecisionForm()})


def _decide(request: PersonRequest, request_id: int, verdict: str) -> HttpResponse:
    if not _may_see_requests(request.user):
        raise PermissionDenied(_("only administrators and control officers see clearance requests"))
    form = forms.DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if verdict == "confirm":
            services.confirm_clearance_request(request.user, request_id, note)
            messages.success(request, _("Request %(id)s confirmed: the clearance is in effect.") % {"id": request_id})
        else:
            services.reject_clearance_request(request.user, request_id, note)
            messages.success(request, _("Request %(id)s rejected.") % {"id": request_id})
    except ClearanceRequest.DoesNotExist:
        raise Http404("no such request") from None
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    return redirect("org:requests")


@require_POST
def request_confirm(request: PersonRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, "confirm")


@require_POST
def request_reject(request: PersonRequest, request_id: int) -> HttpResponse:
    return _decide(request, request_id, "reject")


# Units -----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def units(request: PersonRequest) -> HttpResponse:
    _administrator(request)
    form = forms.NewUnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        parent = Unit.objects.filter(code=data["parent"]).first() if data["parent"] else None
        try:
            unit = services.create_unit(
                request.user, code=data["code"], name=data["name"], kind=data["kind"], parent=parent
            )
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("Unit %(code)s created.") % {"code": unit.code})
            return redirect("org:units")
    tree = list(Unit.objects.order_by("path").annotate(member_count=Count("members")))
    for unit in tree:
        unit.indent = NBSP * 3 * unit.depth  # type: ignore[attr-defined]
    return _page(request, "org/units.html", {"units": tree, "form": form}, invalid=bool(form.errors))


@require_http_methods(["GET", "POST"])
def unit_detail(request: PersonRequest, code: str) -> HttpResponse:
    """Rename a unit (POST without `move`) or move it with everything under it (POST `move`)."""
    _administrator(request)
    unit = get_object_or_404(Unit.objects.select_related("parent"), code=path_key(code))
    form = forms.UnitForm(
        request.POST if request.method == "POST" and "move" not in request.POST else None,
        initial={"code": unit.code, "name": unit.name, "kind": unit.kind},
    )
    move_form = forms.MoveUnitForm(
        request.POST if request.method == "POST" and "move" in request.POST else None,
        initial={"parent": unit.parent.code if unit.parent else ""},
    )
    if request.method == "POST":
        try:
            if "move" in request.POST:
                if move_form.is_valid():
                    code = move_form.cleaned_data["parent"]
                    parent = Unit.objects.filter(code=code).first() if code else None
                    services.move_unit(request.user, unit, parent)
                    messages.success(request, _("Unit %(code)s moved.") % {"code": unit.code})
                    return redirect("org:unit", code=unit.code)
            elif form.is_valid():
                data = form.cleaned_data
                unit = services.change_unit(request.user, unit, code=data["code"], name=data["name"], kind=data["kind"])
                messages.success(request, _("Unit %(code)s changed.") % {"code": unit.code})
                return redirect("org:unit", code=unit.code)
        except ValidationError as exc:
            (move_form if "move" in request.POST else form).take_errors(exc)
    below = Unit.objects.filter(path__startswith=unit.path).exclude(pk=unit.pk).order_by("path")
    members = Person.objects.filter(unit=unit).order_by("username")
    return _page(
        request,
        "org/unit.html",
        {"unit": unit, "form": form, "move_form": move_form, "below": below, "members": members},
        invalid=bool(form.errors or move_form.errors),
    )


# Registries ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def registries(request: PersonRequest) -> HttpResponse:
    _administrator(request)
    form = forms.NewRegistryForm(
        request.POST or None, initial={"numbering_pattern": "{registry}/{year}/{seq:06d}", "accreditation": "NS"}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = form.chosen_unit()
        try:
            if unit is None:
                raise ValidationError({"unit": _("this field is required")})
            registry = services.create_registry(
                request.user,
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                unit=unit,
                accreditation=Level[data["accreditation"]],
                parent=form.chosen_parent(),
                numbering_pattern=data["numbering_pattern"],
            )
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("Registry %(code)s created.") % {"code": registry.code})
            return redirect("org:registry", code=registry.code)
    rows = Registry.objects.select_related("parent", "unit").annotate(staff_count=Count("staff")).order_by("code")
    return _page(request, "org/registries.html", {"registries": rows, "form": form}, invalid=bool(form.errors))


@require_http_methods(["GET", "POST"])
def registry_detail(request: PersonRequest, code: str) -> HttpResponse:
    """Change a registry (POST), or its staff (POST `add` or `remove` with a username)."""
    _administrator(request)
    registry = get_object_or_404(
        Registry.objects.select_related("parent", "unit").prefetch_related(
            Prefetch("staff", queryset=Person.objects.order_by("username"))
        ),
        code=path_key(code),
    )
    staff_post = request.method == "POST" and ("add" in request.POST or "remove" in request.POST)
    change_post = request.method == "POST" and not staff_post
    form = forms.RegistryForm(
        request.POST if change_post else None,
        initial={
            "name": registry.name,
            "unit": registry.unit.code,
            "accreditation": Level(registry.accreditation).name,
            "numbering_pattern": registry.numbering_pattern,
        },
    )
    staff_form = forms.StaffForm(request.POST if staff_post else None)
    if staff_post and staff_form.is_valid():
        person = Person.objects.filter(username=staff_form.cleaned_data["username"]).first()
        if person is None:
            staff_form.add_error(
                "username", _("unknown person %(username)s") % {"username": repr(staff_form.cleaned_data["username"])}
            )
        else:
            if "add" in request.POST:
                services.add_registry_staff(request.user, registry, person)
                messages.success(request, _("%(username)s is on the staff.") % {"username": person.username})
            else:
                services.remove_registry_staff(request.user, registry, person)
                messages.success(request, _("%(username)s is off the staff.") % {"username": person.username})
            return redirect("org:registry", code=registry.code)
    if change_post and form.is_valid():
        data = form.cleaned_data
        try:
            services.change_registry(
                request.user,
                registry,
                name=data["name"],
                accreditation=Level[data["accreditation"]],
                numbering_pattern=data["numbering_pattern"],
                unit=form.chosen_unit(),
            )
        except ValidationError as exc:
            form.take_errors(exc)
        else:
            messages.success(request, _("Registry %(code)s changed.") % {"code": registry.code})
            return redirect("org:registry", code=registry.code)
    policy = active_policy()
    return _page(
        request,
        "org/registry.html",
        {
            "registry": registry,
            "form": form,
            "staff_form": staff_form,
            "accreditation": policy.levels[Level(registry.accreditation)].marking,
        },
        invalid=bool(form.errors or staff_form.errors),
    )
