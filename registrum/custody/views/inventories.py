"""Pages: inventories of a registry (start one, what is due), the scanning page (a code typed or
scanned and Enter, or a list), closing, and the report PDF."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import inventories
from registrum.custody.models import Container, ScanOutcome
from registrum.custody.models.inventories import InventoryState
from registrum.custody.views._staff import staffed_registries, staffed_registry
from registrum.org.requests import PersonRequest
from registrum.policy import Level, active_policy


@require_http_methods(["GET", "POST"])
def inventory_list(request: PersonRequest) -> HttpResponse:
    person = request.user
    registry = staffed_registry(person, request.GET.get("registry"), "list_inventories")
    containers = list(Container.objects.filter(registry=registry, active=True).order_by("code"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        container_code = request.POST.get("container", "").strip()
        level_text = request.POST.get("level", "").strip()
        try:
            container = next((c for c in containers if c.code == container_code), None)
            if container_code and container is None:
                raise ValidationError(
                    {"container": _("no such container in %(registry)s") % {"registry": registry.code}}
                )
            if level_text and not level_text.isdigit():
                raise ValidationError({"level": _("unknown level %(level)s") % {"level": repr(level_text)}})
            level = int(level_text) if level_text else None
            inventory = inventories.start_inventory(person, registry, container=container, level=level)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(
                request, _("Inventory started: %(count)d copies expected.") % {"count": inventory.expected}
            )
            return redirect("custody:inventory", public_id=inventory.public_id)
    policy = active_policy()
    return render(
        request,
        "custody/inventory_list.html",
        {
            "registry": registry,
            "registries": staffed_registries(person),
            "containers": containers,
            "levels": [(int(level), policy.levels[level].marking) for level in sorted(policy.levels, reverse=True)],
            "rows": list(inventories.inventories_of(person, registry)[:50]),
            "due": inventories.inventory_due(registry),
            "errors": errors,
            "page_level": 0,
        },
        status=400 if errors else 200,
    )


OUTCOME_CLASS = {
    ScanOutcome.CHECKED: "found",
    ScanOutcome.ALREADY_CHECKED: "already",
    ScanOutcome.UNEXPECTED: "unexpected",
    ScanOutcome.OTHER_REGISTRY: "other",
    ScanOutcome.NOT_A_COPY: "not-a-copy",
}


@require_http_methods(["GET", "POST"])
def inventory_page(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    inventory = inventories.get_inventory(person, public_id)
    results: list[inventories.ScanResult] = []
    error = ""
    if request.method == "POST":
        try:
            if "codes" in request.POST:
                results = inventories.check_list(person, public_id, request.POST["codes"].splitlines())
            else:
                results = [inventories.check_copy(person, public_id, request.POST.get("code", ""))]
        except ValidationError as exc:
            error = "; ".join(exc.messages)
        inventory.refresh_from_db()
    progress = inventories.progress(inventory)
    missing = inventories.missing_copies(inventory) if inventory.state == InventoryState.OPEN else []
    level = (
        inventories.report_data(inventory).level
        if inventory.state == InventoryState.CLOSED
        else max((c.level for c in missing), default=int(inventory.level or Level.NU))
    )
    return render(
        request,
        "custody/inventory_scan.html",
        {
            "inventory": inventory,
            "scope": inventories.scope_label(inventory),
            "progress": progress,
            "results": [(r, OUTCOME_CLASS[r.outcome]) for r in results],
            "last": (results[-1], OUTCOME_CLASS[results[-1].outcome]) if results else None,
            "missing": missing,
            "more_missing": max(0, progress.missing - len(missing)),
            "error": error,
            "open": inventory.state == InventoryState.OPEN,
            "page_level": level,
        },
        status=400 if error else 200,
    )


@require_POST
def inventory_close(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        inventory = inventories.close_inventory(request.user, public_id)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Inventory closed: %(found)d of %(expected)d found, %(missing)d missing.")
            % {"found": inventory.found, "expected": inventory.expected, "missing": inventory.missing},
        )
    return redirect("custody:inventory", public_id=public_id)


def inventory_report(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        pdf = inventories.report_pdf(request.user, public_id)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect(reverse("custody:inventory", kwargs={"public_id": public_id}))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="inventory-{public_id}.pdf"'
    return response


urlpatterns: list[URLPattern] = [
    path("inventories/", inventory_list, name="inventories"),
    path("inventories/<str:public_id>/", inventory_page, name="inventory"),
    path("inventories/<str:public_id>/close/", inventory_close, name="inventory_close"),
    path("inventories/<str:public_id>/report.pdf", inventory_report, name="inventory_report"),
]
