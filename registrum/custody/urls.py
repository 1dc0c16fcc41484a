"""Custody pages under /custody/: each part's module lists its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from registrum.custody.views import copies

app_name = "custody"

urlpatterns: list[URLPattern] = [
    *copies.urlpatterns,
]
