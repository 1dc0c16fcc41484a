from __future__ import annotations

import re

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from registrum.org.requests import PersonRequest
from registrum.policy import active_policy
from registrum.records import services as records
from registrum.records.models import Registration


def home(request: PersonRequest) -> HttpResponse:
    person = request.user
    recent = list(
        Registration.objects.visible_to(person)
        .select_related("registry", "document")
        .order_by("-registered_at", "-id")[:15]
    )
    return render(
        request,
        "web/home.html",
        {
            "registries": records.registries_for(person),
            "recent": recent,
            "page_level": max((d.level for d in recent), default=0),
        },
    )


# A colour the stylesheet may carry: a policy file is configuration, not code, so nothing else
# from it reaches CSS.
_CSS_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|[a-z]{3,20}")


@login_not_required
@require_GET
def levels_css(request: HttpRequest) -> HttpResponse:
    """The level colours of the active policy as classes (`.level-3`), so that banners and badges
    need no inline style, which the Content-Security-Policy forbids. Public: the login page wears a
    banner too, and the colours reveal nothing."""
    rules = []
    for level, style in sorted(active_policy().levels.items()):
        background, text = style.colour, style.text_colour
        if _CSS_COLOUR.fullmatch(background) and _CSS_COLOUR.fullmatch(text):
            rules.append(f".level-{int(level)} {{ background: {background}; color: {text}; }}")
    response = HttpResponse("\n".join(rules) + "\n", content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form post (a stale page, cookies off) explained in the site's frame and banners,
    instead of Django's bare debugging page."""
    return render(request, "web/csrf_failure.html", {"page_level": 0}, status=403)
