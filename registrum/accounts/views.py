from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from registrum.accounts import services
from registrum.accounts.models import ApiToken
from registrum.org.requests import PersonRequest


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: PersonRequest) -> HttpResponse:
    new_token = None
    error = None
    if request.method == "POST":
        if "revoke" in request.POST:
            # A token is addressed by its random prefix, never by its row number.
            try:
                services.revoke_token(request.user, request.POST["revoke"])
            except ApiToken.DoesNotExist:
                error = _("No such token: it does not exist or is not yours.")
        else:
            name = request.POST.get("name", "").strip() or "API"
            new_token = services.issue_token(request.user, request.user, name=name)
    rows = ApiToken.objects.filter(person_id=request.user.pk or 0, revoked_at__isnull=True).order_by("-created_at")
    context = {"tokens": rows, "new_token": new_token, "error": error}
    return render(request, "accounts/tokens.html", context, status=404 if error else 200)
