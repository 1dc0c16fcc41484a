from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from registrum.org.requests import PersonRequest
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
