"""Pages: numbered copies, containers, holdings and copy history."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
