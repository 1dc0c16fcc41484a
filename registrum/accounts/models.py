"""API tokens. Only a digest is stored: a leaked database does not leak usable tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"))
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.person} – {self.name} ({self.prefix}…)"


class ResetCode(models.Model):
    """A one-time password reset code sent by e-mail. Only its hash is kept; it is valid for a
    few minutes, for one use and a few wrong tries. Rows also count the sends for throttling,
    so they are kept (used or not) until they are old."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reset_codes")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    wrong_tries = models.PositiveSmallIntegerField(default=0)
    address = models.GenericIPAddressField(null=True, blank=True)

    def __str__(self) -> str:
        return f"reset code for {self.person} at {self.created_at:%Y-%m-%d %H:%M}"


class ResetRequest(models.Model):
    """Every "send me a code" request, whether or not the account exists: the throttle per address
    and per username counts these, so an unknown username is throttled exactly like a known one."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"reset code asked for {self.username!r} at {self.at:%Y-%m-%d %H:%M}"
