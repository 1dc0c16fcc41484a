from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from registrum.api import api


def _public(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """The API answers for itself: no session, a bearer token on every operation (401 without
    one), so the site's login-required default must not redirect it to the login page."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _public(pattern.url_patterns)
        else:
            pattern.callback = login_not_required(pattern.callback)
    return patterns


api_patterns, api_app, api_namespace = api.urls

# Refusals (403, and 404 for what may not be read) are written to the audit trail here, once
# for every page; the API has its own exception handlers that do the same.
handler403 = "registrum.web.errors.refused"
handler404 = "registrum.web.errors.not_found"

urlpatterns = [
    path("", include("registrum.web.urls")),
    path("register/", include("registrum.records.urls")),
    path("accounts/", include("registrum.accounts.urls")),
    path("organisation/", include("registrum.org.urls")),
    path("audit/", include("registrum.audit.urls")),
    path("custody/", include("registrum.custody.urls")),
    # The language switch is on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("api/v1/", include((_public(list(api_patterns)), api_app), namespace=api_namespace)),
]
