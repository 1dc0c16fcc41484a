"""The organisation as the staff see it: units with their codes (for addressing) and registries."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render

from registrum.org.models import Registry, Unit
from registrum.org.requests import PersonRequest


@login_required
def organisation(request: PersonRequest) -> HttpResponse:
    units = Unit.objects.order_by("path")
    registries = Registry.objects.select_related("parent", "unit").annotate(staff_count=Count("staff")).order_by("code")
    return render(request, "org/organisation.html", {"units": units, "registries": registries, "page_level": 0})
