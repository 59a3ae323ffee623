"""Finding 9 of issue 14: production refuses unsafe settings; the sandbox and allauth leak less."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.test import Client

from tests.test_settings import PRODUCTION, manage


def test_it_refuses_to_start_in_production_with_an_invalid_token_key(tmp_path: Path) -> None:
    bad = "not-a-fernet-key-but-a-secret-typo"
    result = manage(tmp_path, "check", **{**PRODUCTION, "TOKEN_ENCRYPTION_KEYS": bad})
    assert result.returncode != 0
    assert "TOKEN_ENCRYPTION_KEYS: key 1 of 1 is not a Fernet key" in result.stderr
    assert bad not in result.stderr  # the key itself is never echoed


def test_it_refuses_an_http_site_url_in_production_unless_the_rig_says_so(tmp_path: Path) -> None:
    plain = {**PRODUCTION, "SITE_URL": "http://heal.example.com"}
    refused = manage(tmp_path, "check", **plain)
    assert refused.returncode != 0
    assert "must be https" in refused.stderr
    rig = manage(tmp_path, "check", **plain, ALLOW_HTTP_SITE_URL="on")
    assert rig.returncode == 0, rig.stderr


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://evil.example",
        "http://testserver@evil.example",
        "http://127.0.0.1:6379/",  # another port of this machine
        "file:///etc/passwd",
        ["http://testserver"],
    ],
)
def test_the_sandbox_sends_events_to_this_site_only(sandbox, target) -> None:
    sandbox.provision("slack", "ada@ssrf.example", "Ada")
    answer = Client(raise_request_exception=False).post(
        "/sandbox/api/event",
        data={
            "platform": "slack",
            "event": "tokens_revoked",
            "user": "ada@ssrf.example",
            "target": target,
        },
        content_type="application/json",
    )
    assert answer.status_code == 400
    assert "this site" in answer.json()["error"]


def test_the_sandbox_still_sends_events_to_this_site(sandbox, live_server) -> None:
    sandbox.provision("slack", "ada@ssrf.example", "Ada")
    answer = sandbox.event("slack", "tokens_revoked", "ada@ssrf.example", target=live_server.url)
    assert answer["ok"] is True


@pytest.mark.django_db
def test_it_mails_nobody_for_a_password_reset_of_an_unknown_address(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    answer = Client().post("/accounts/password/reset/", {"email": "stranger@example.com"})
    assert answer.status_code in (200, 302)
    assert mail.outbox == []
