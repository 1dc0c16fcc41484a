"""Custody pages under /custody/: each part's module lists its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from registrum.custody.views import copies
from registrum.custody.views import regrading as regrading_views
from registrum.custody.views import retention as retention_views

app_name = "custody"

urlpatterns: list[URLPattern] = [
    *copies.urlpatterns,
    *regrading_views.urlpatterns,
    *retention_views.urlpatterns,
]
