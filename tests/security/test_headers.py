"""Security headers on every page; HSTS and secure cookies in production; ``check --deploy``.

Every URL of the URL conf is requested (anonymous, and as a superuser so the admin's own
pages render): every answer, whatever its status — pages, redirects, 404s, 405s, JSON — carries
the Content-Security-Policy and the other headers. Production mode is a fresh process with
``DEBUG=off`` (as tests/test_settings.py runs it), on this test database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.test import Client
from django.urls import get_resolver

from dashboard.tests.factories import PASSWORD, make_user
from tests.factories import make_tenant
from tests.reliability.conftest import database_url
from tests.security.test_fuzz import concrete, walk

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "off",
    "SECRET_KEY": "a-long-random-production-secret-key-" + "h3ad" * 12,
    "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "heal.example.com,testserver",
    "SITE_URL": "https://heal.example.com",
}


def assert_secure_headers(answer, url: str) -> None:
    policy = answer.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in policy, url
    assert "frame-ancestors 'none'" in policy, url
    scripts = policy.split("script-src", 1)[1].split(";")[0]
    assert "'self'" in scripts, url
    assert "unsafe-inline" not in scripts, url
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", url
    assert answer.headers.get("X-Frame-Options") == "DENY", url
    assert answer.headers.get("Referrer-Policy") == "same-origin", url


@pytest.mark.django_db
def test_every_answer_of_every_url_carries_the_security_headers() -> None:
    anonymous = Client(raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    staff.force_login(make_user(make_tenant(), superuser=True))
    routes = [route for route, _ in walk(get_resolver().url_patterns)]
    statuses = set()
    for route in routes:
        url = concrete(route)
        for client in (anonymous, staff):
            answer = client.get(url)
            statuses.add(answer.status_code)
            assert_secure_headers(answer, url)
    assert {200, 302, 404, 405} <= statuses  # pages, redirects and refusals alike


PROBE = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
user = get_user_model().objects.get(username=USER)
user.set_password(PASSWORD)  # under production's hashers (the tests' is a fast one)
user.save()
c = Client()
plain = c.get("/accounts/login/")
page = c.get("/accounts/login/", secure=True)
login = c.post("/accounts/login/", {"login": USER, "password": PASSWORD}, secure=True)
missing = c.get("/sandbox/", secure=True)
def cookie(response, name):
    m = response.cookies.get(name)
    if m is None:
        return None
    return {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
print(json.dumps({
    "plain": [plain.status_code, plain.get("Location", "")],
    "hsts": page.get("Strict-Transport-Security", ""),
    "csp": page.get("Content-Security-Policy", ""),
    "csrf": cookie(page, "csrftoken"),
    "session": cookie(login, "sessionid"),
    "login": login.status_code,
    "sandbox": missing.status_code,
    "missing_csp": missing.get("Content-Security-Policy", ""),
}))
"""


def production(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SANDBOX"))}
    env.update(PRODUCTION, **extra)
    return subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db(transaction=True)
def test_production_sends_hsts_secure_cookies_and_the_policy(tmp_path) -> None:
    user = make_user(make_tenant())
    code = f"USER = {user.username!r}\nPASSWORD = {PASSWORD!r}\n" + PROBE
    done = production("shell", "-c", code, DATABASE_URL=database_url(), VAR_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["plain"] == [301, "https://testserver/accounts/login/"]
    assert seen["hsts"] == "max-age=31536000; includeSubDomains"
    assert "default-src 'self'" in seen["csp"]
    assert seen["csrf"]["secure"]
    assert seen["login"] == 302  # password right: on to the second factor, with a session
    assert seen["session"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["sandbox"] == 404  # no sandbox in production
    assert "default-src 'self'" in seen["missing_csp"]


def test_it_passes_check_deploy_with_no_issue_in_production_mode(tmp_path) -> None:
    done = production("check", "--deploy", "--fail-level", "WARNING", VAR_DIR=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr


def test_it_warns_about_nothing_when_the_operator_opts_into_hsts_preload(tmp_path) -> None:
    done = production(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        VAR_DIR=str(tmp_path),
        SECURE_HSTS_PRELOAD="on",
    )
    assert done.returncode == 0, done.stdout + done.stderr
