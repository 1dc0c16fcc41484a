"""Custody pages under /custody/: each part's module lists its own routes."""

from __future__ import annotations

from django.urls import URLPattern

from registrum.custody.views import chargeouts as chargeout_views
from registrum.custody.views import copies
from registrum.custody.views import destruction as destruction_views
from registrum.custody.views import inventories as inventory_views
from registrum.custody.views import losses as loss_views
from registrum.custody.views import regrading as regrading_views
from registrum.custody.views import reproduction as reproduction_views
from registrum.custody.views import retention as retention_views
from registrum.custody.views import transfers as transfer_pages

app_name = "custody"

urlpatterns: list[URLPattern] = [
    *copies.urlpatterns,
    *transfer_pages.urlpatterns,
    *chargeout_views.urlpatterns,
    *inventory_views.urlpatterns,
    *loss_views.urlpatterns,
    *reproduction_views.urlpatterns,
    *destruction_views.urlpatterns,
    *regrading_views.urlpatterns,
    *retention_views.urlpatterns,
]
