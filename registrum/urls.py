from django.urls import include, path

from registrum.api import api

urlpatterns = [
    path("", include("registrum.web.urls")),
    path("register/", include("registrum.records.urls")),
    path("accounts/", include("registrum.accounts.urls")),
    path("organisation/", include("registrum.org.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
]
