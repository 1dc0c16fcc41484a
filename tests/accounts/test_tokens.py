"""API tokens: issued only to their holder, by that person, for a bounded time; revoked by prefix."""

from __future__ import annotations

import io
import sys
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from registrum.accounts.models import ApiToken
from registrum.accounts.services import MAX_TOKEN_DAYS, issue_token, person_for_token, revoke_token
from registrum.audit.models import AuditEvent
from registrum.org.services import SYSTEM
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def row_of(token: str) -> ApiToken:
    return ApiToken.objects.get(prefix=token[:12])


# Issuing ------------------------------------------------------------------------------------


def test_a_person_issues_a_token_for_themself_that_expires(world):
    token = issue_token(world.reader, world.reader, name="laptop", days=30)
    row = row_of(token)
    assert row.person == world.reader
    assert row.expires_at is not None
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    assert person_for_token(token) == world.reader


@pytest.mark.parametrize("days", [0, -1, MAX_TOKEN_DAYS + 1, 100_000])
def test_a_token_lasts_at_least_a_day_and_at_most_the_maximum(world, days):
    with pytest.raises(ValidationError) as refused:
        issue_token(world.reader, world.reader, name="t", days=days)
    assert f"from 1 to {MAX_TOKEN_DAYS} days" in str(refused.value)
    assert not ApiToken.objects.exists()


def test_the_longest_token_allowed_still_expires(world):
    token = issue_token(world.reader, world.reader, name="t", days=MAX_TOKEN_DAYS)
    assert row_of(token).expires_at is not None


def test_no_token_for_a_deactivated_account(world):
    world.reader.is_active = False
    world.reader.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied, match="deactivated"):
        issue_token(world.reader, world.reader, name="t")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("actor", ["admin", "clerk", "system"])
def test_nobody_issues_a_token_for_someone_else_not_even_an_administrator(world, actor):
    acting = SYSTEM if actor == "system" else getattr(world, actor)
    with pytest.raises(PermissionDenied, match="only for yourself"):
        issue_token(acting, world.reader, name="t")
    assert not ApiToken.objects.exists()


def test_a_deactivated_accounts_existing_tokens_stop_working(world):
    token = issue_token(world.reader, world.reader, name="t")
    assert person_for_token(token) == world.reader
    world.reader.is_active = False
    world.reader.save(update_fields=["is_active"])
    assert person_for_token(token) is None


def test_prefixes_are_unique(world):
    prefixes = {row_of(issue_token(world.reader, world.reader, name=str(i))).prefix for i in range(20)}
    assert len(prefixes) == 20
    assert all(p.startswith("rgm_") and len(p) == 12 for p in prefixes)


# Revoking -----------------------------------------------------------------------------------


def test_an_owner_revokes_their_own_token_by_prefix(world):
    token = issue_token(world.reader, world.reader, name="t")
    revoke_token(world.reader, token[:12])
    assert person_for_token(token) is None
    event = AuditEvent.objects.get(event="accounts.token_revoked")
    assert event.actor_id == world.reader.pk and token[:12] in event.summary


def test_an_administrator_revokes_anyones_token_audited(world):
    token = issue_token(world.reader, world.reader, name="t")
    revoke_token(world.admin, token[:12])
    assert person_for_token(token) is None
    event = AuditEvent.objects.get(event="accounts.token_revoked")
    assert event.actor_id == world.admin.pk and event.target_id == world.reader.pk


def test_someone_elses_token_is_as_unknown_as_a_missing_one(world):
    token = issue_token(world.reader, world.reader, name="t")
    for prefix in (token[:12], "rgm_AAAAAAAA", "42", ""):
        with pytest.raises(ApiToken.DoesNotExist):
            revoke_token(world.clerk, prefix)
    assert person_for_token(token) == world.reader


# The tokens page ----------------------------------------------------------------------------


def test_the_tokens_page_revokes_by_prefix_and_shows_no_row_id(client, world):
    token = issue_token(world.reader, world.reader, name="laptop")
    client.force_login(world.reader)
    html = client.get("/accounts/tokens/").content.decode()
    assert f'name="revoke" value="{token[:12]}"' in html
    assert f'value="{row_of(token).pk}"' not in html
    response = client.post("/accounts/tokens/", {"revoke": token[:12]})
    assert response.status_code == 200
    assert person_for_token(token) is None


@pytest.mark.parametrize("value", ["999999", "not-a-number", "rgm_AAAAAAAA", ""])
def test_revoking_an_unknown_token_on_the_page_is_a_clear_404(client, world, value):
    client.force_login(world.reader)
    response = client.post("/accounts/tokens/", {"revoke": value})
    assert response.status_code == 404
    assert "No such token" in response.content.decode()


def test_revoking_someone_elses_token_on_the_page_is_404_and_changes_nothing(client, world):
    token = issue_token(world.reader, world.reader, name="t")
    client.force_login(world.clerk)
    assert client.post("/accounts/tokens/", {"revoke": token[:12]}).status_code == 404
    assert client.post("/accounts/tokens/", {"revoke": str(row_of(token).pk)}).status_code == 404
    assert person_for_token(token) == world.reader


# The command line ---------------------------------------------------------------------------


def token_command(*args, stdin=""):
    out = io.StringIO()
    real = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("token", *args, stdout=out)
    finally:
        sys.stdin = real
    return out.getvalue().strip()


def test_the_command_issues_a_token_once_the_person_proves_who_they_are(world):
    token = token_command("reader", "--days", "7", "--password-stdin", stdin=PASSWORD + "\n")
    assert person_for_token(token) == world.reader
    assert row_of(token).expires_at is not None
    event = AuditEvent.objects.get(event="accounts.token_issued")
    assert event.actor_id == world.reader.pk  # the person, not the system


def test_the_command_refuses_a_wrong_password(world):
    with pytest.raises(CommandError, match="authentication failed"):
        token_command("reader", "--password-stdin", stdin="wrong password\n")
    assert not ApiToken.objects.exists()


def test_the_command_needs_a_password(world):
    with pytest.raises(CommandError, match="password"):
        token_command("reader", stdin=PASSWORD + "\n")  # not a terminal, no --password-stdin
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("days", ["0", "-3", str(MAX_TOKEN_DAYS + 1)])
def test_the_command_refuses_a_token_that_never_or_hardly_ever_expires(world, days):
    with pytest.raises(CommandError, match=f"from 1 to {MAX_TOKEN_DAYS} days"):
        token_command("reader", "--days", days, "--password-stdin", stdin=PASSWORD + "\n")
    assert not ApiToken.objects.exists()


def test_the_command_refuses_a_deactivated_account(world):
    world.reader.is_active = False
    world.reader.save(update_fields=["is_active"])
    with pytest.raises(CommandError, match="deactivated"):
        token_command("reader", "--password-stdin", stdin=PASSWORD + "\n")
    assert not ApiToken.objects.exists()


def test_the_command_refuses_an_unknown_person(world):
    with pytest.raises(CommandError, match="unknown person"):
        token_command("nobody", "--password-stdin", stdin=PASSWORD + "\n")
