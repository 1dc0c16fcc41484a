"""Custody pages under /custody/: each part's module lists its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from registrum.custody.views import copies
from registrum.custody.views import destruction as destruction_views
from registrum.custody.views import reproduction as reproduction_views

app_name = "custody"

urlpatterns: list[URLPattern] = [
    *copies.urlpatterns,
    *destruction_views.urlpatterns,
    *reproduction_views.urlpatterns,
]
