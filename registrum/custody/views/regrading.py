"""Pages: the regrade form of a document, the due-regrades queue, and a person's notices."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from registrum.custody import notices, regrading
from registrum.custody.models.regrading import RegradeKind
from registrum.org.requests import PersonRequest
from registrum.policy import Level, active_policy


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"": list(exc.messages)}


def parse_date(text: str, field: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError({field: _("a date as YYYY-MM-DD")}) from None


@require_http_methods(["GET", "POST"])
def regrade(request: PersonRequest, public_id: str) -> HttpResponse:
    person = request.user
    document, regrades = regrading.regrades_of(person, public_id)
    regrading.require_regrader(person, document)
    policy = active_policy()
    values = {"kind": "downgrade", "to_level": "", "categories": [], "authority": "", "effective_on": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {
            "kind": request.POST.get("kind", ""),
            "to_level": request.POST.get("to_level", ""),
            "categories": request.POST.getlist("categories"),
            "authority": request.POST.get("authority", ""),
            "effective_on": request.POST.get("effective_on", ""),
        }
        try:
            recorded = regrading.record_regrade(
                person,
                public_id,
                kind=str(values["kind"]),
                to_level=str(values["to_level"]) or None,
                to_categories=list(values["categories"]),
                authority=str(values["authority"]),
                effective_on=parse_date(str(values["effective_on"]), "effective_on"),
            )
        except ValidationError as exc:
            errors = errors_of(exc)
        else:
            target = policy.marking(Level(recorded.to_level), recorded.to_category_mask)
            if recorded.applied_at:
                messages.success(request, _("Regraded: the marking is now %(marking)s.") % {"marking": target})
            else:
                messages.success(
                    request,
                    _("Scheduled: %(marking)s on %(date)s.") % {"marking": target, "date": recorded.effective_on},
                )
            return redirect("custody:regrade", public_id=public_id)
    return render(
        request,
        "custody/regrade_form.html",
        {
            "document": document,
            "regrades": regrades,
            "values": values,
            "errors": errors,
            "kinds": RegradeKind.choices,
            "levels": [(level.name, style.marking) for level, style in policy.levels.items()],
            "categories": [c.code for c in policy.categories],
            "today": timezone.localdate(),
            "page_level": document.level,
        },
        status=400 if errors else 200,
    )


@require_POST
def cancel(request: PersonRequest, public_id: str) -> HttpResponse:
    try:
        withdrawn = regrading.cancel_regrade(request.user, public_id, request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("custody:regrades_due")
    messages.success(request, _("The scheduled regrade was withdrawn."))
    return redirect("custody:regrade", public_id=withdrawn.document.public_id)


def due(request: PersonRequest) -> HttpResponse:
    person = request.user
    regrading.require_custody_staff(person, "regrades_due")
    pending = list(regrading.pending_for(person)[:500])
    policy, today = active_policy(), timezone.localdate()
    rows = [
        {
            "regrade": r,
            "target": policy.marking(Level(r.to_level), r.to_category_mask),
            "due": r.effective_on <= today,
        }
        for r in pending
    ]
    return render(
        request,
        "custody/regrade_due.html",
        {
            "rows": rows,
            "due_count": sum(1 for row in rows if row["due"]),
            "page_level": max((r.document.level for r in pending), default=0),
        },
    )


@require_POST
def apply_due(request: PersonRequest) -> HttpResponse:
    person = request.user
    regrading.require_custody_staff(person, "apply_due_regrades")
    result = regrading.apply_due_regrades(person)
    messages.success(request, _("%(count)d regrades applied.") % {"count": len(result.applied)})
    for refused, reason in result.refused:
        messages.error(request, f"{refused.document.public_id}: {reason}")
    return redirect("custody:regrades_due")


def notice_list(request: PersonRequest) -> HttpResponse:
    person = request.user
    shown = notices.notices_for_page(person)
    return render(
        request,
        "custody/notices_list.html",
        {
            "shown": shown,
            "unread": sum(1 for s in shown if s.notice.read_at is None),
            "page_level": max((s.readable.subject_level for s in shown if s.readable), default=0),
        },
    )


@require_POST
def notice_read(request: PersonRequest) -> HttpResponse:
    raw = request.POST.get("notice", "").strip()
    if raw and not raw.isdigit():
        messages.error(request, _("No such notice."))
        return redirect("custody:notices")
    notices.mark_read(request.user, int(raw) if raw else None)
    return redirect("custody:notices")


urlpatterns: list[URLPattern] = [
    path("documents/<str:public_id>/regrade/", regrade, name="regrade"),
    path("regrades/", due, name="regrades_due"),
    path("regrades/apply/", apply_due, name="regrades_apply"),
    path("regrades/<str:public_id>/cancel/", cancel, name="regrade_cancel"),
    path("notices/", notice_list, name="notices"),
    path("notices/read/", notice_read, name="notices_read"),
]
