"""Web hardening: nothing classified stays in a cache, no inline script or style for a
Content-Security-Policy to allow, no framing, secure cookies and HSTS over TLS, error pages in the
site's frame, and a data folder only the service account can read."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.views.defaults import server_error

from registrum.accounts.services import issue_token
from registrum.policy import Level
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def pages(world, registered) -> list[str]:
    doc, reg = registered.document.public_id, registered.public_id
    return [
        reverse("web:home"),
        reverse("records:list"),
        reverse("records:list") + "?q=a",
        reverse("records:detail", args=[doc]),
        reverse("records:new") + "?direction=IN",
        reverse("records:receive"),
        reverse("records:correct", args=[reg]),
        reverse("org:organisation"),
        reverse("accounts:tokens"),
    ]


def test_classified_answers_are_never_cached(client, world, pdf_upload):
    registered = world.register(level=Level.NS, upload=pdf_upload)
    client.force_login(world.clerk)
    urls = [
        *pages(world, registered),
        reverse("records:download", args=[registered.document.public_id, 1]),
        reverse("records:export"),
    ]
    token = issue_token(world.clerk, world.clerk, name="cache test")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    for url in [
        *urls,
        f"/api/v1/registrations/{registered.public_id}",
        f"/api/v1/documents/{registered.document.public_id}/versions/1/content",
    ]:
        response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
        assert response["Pragma"] == "no-cache", url


def test_every_page_is_under_a_policy_that_allows_no_inline_code(client, world, pdf_upload):
    registered = world.register(level=Level.NS, upload=pdf_upload)
    client.force_login(world.clerk)
    for url in [*pages(world, registered), reverse("accounts:login")]:
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "style-src 'self'" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Referrer-Policy"] == "same-origin", url
        assert response["X-Content-Type-Options"] == "nosniff", url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), url
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html))
        assert not STYLE_ATTRIBUTE.search(html), (url, STYLE_ATTRIBUTE.search(html))


def test_level_colours_come_from_the_policy_stylesheet(client, world, pdf_upload):
    world.register(level=Level.NS, upload=pdf_upload)
    css = Client().get(reverse("web:levels_css"))  # public: the login page wears a banner too
    assert css.status_code == 200 and css["Content-Type"].startswith("text/css")
    assert ".level-3 {" in css.content.decode()
    client.force_login(world.clerk)
    html = client.get(reverse("records:list")).content.decode()
    assert re.search(r'class="level level-3"[^>]*>NS<', html)
    assert re.search(r'class="banner level-3 banner-top', html)


def test_a_refused_form_post_explains_itself_under_the_banners(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": world.clerk.username, "password": PASSWORD})
    assert response.status_code == 403
    html = response.content.decode()
    assert "Form expired" in html and "Nothing was saved" in html
    assert 'id="banner-top"' in html and 'id="banner-bottom"' in html
    assert "no-store" in response["Cache-Control"]


def test_a_server_error_page_has_its_banners_and_no_details(rf):
    response = server_error(rf.get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html
    assert 'id="banner-top"' in html and 'data-level="NU"' in html
    assert "Traceback" not in html


def _settings_in_subprocess(env: dict[str, str], expression: str) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "registrum.settings", **env},
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    return result.stdout.strip()


def test_cookies_are_secure_and_hsts_on_only_when_served_over_tls(tmp_path):
    names = ", ".join(
        f"settings.{name}"
        for name in ("SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SECURE_HSTS_SECONDS", "SESSION_COOKIE_NAME")
    )
    plain = _settings_in_subprocess({"REGISTRUM_HOME": str(tmp_path)}, names)
    assert plain == "False False 0 sessionid"
    tls = _settings_in_subprocess(
        {"REGISTRUM_HOME": str(tmp_path), "REGISTRUM_TLS": "1", "REGISTRUM_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"},
        names + ", settings.SECURE_PROXY_SSL_HEADER",
    )
    assert tls == "True True 31536000 __Host-sessionid ('HTTP_X_FORWARDED_PROTO', 'https')"


@pytest.mark.sqlite_only
def test_the_data_folder_is_readable_by_the_service_account_only(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "REGISTRUM_HOME": str(home), "DJANGO_SETTINGS_MODULE": "registrum.settings"}
    env.pop("REGISTRUM_DATABASE_URL", None)
    os.umask(0o022)  # a permissive shell: the application must not depend on the caller's umask
    subprocess.run([sys.executable, "-m", "registrum.cli", "init"], env=env, check=True, cwd=REPO, capture_output=True)
    created = [home, *home.rglob("*")]
    assert any(p.name == "registrum.sqlite3" for p in created)
    for path in created:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_error_reports_hide_the_key_encryption_key(rf):
    from django.views.debug import get_default_exception_reporter_filter

    request = rf.get("/", REGISTRUM_KEK="c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hIQ==")
    meta = get_default_exception_reporter_filter().get_safe_request_meta(request)
    assert meta["REGISTRUM_KEK"] != "c2VjcmV0LWtleS1tYXRlcmlhbC0zMi1ieXRlcy0hIQ=="
    assert "*" in meta["REGISTRUM_KEK"]
