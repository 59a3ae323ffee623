"""Behind a proxy: every per-address limit and the audit log see the client, not the proxy,
and only as far as the operator trusts its proxies (``TRUSTED_PROXY_COUNT``); a shared cache
(``CACHE_URL``) makes the limits hold across web processes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from dashboard.models import AuditEntry
from dashboard.tests.factories import PASSWORD, make_user
from tests.factories import make_tenant

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.2"  # every request reaches Django from the load balancer


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


def through_proxy(forwarded_for: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)


def ask_fresh_links(client: Client, times: int) -> list[int]:
    return [
        client.post("/resync/fresh/", {"email": f"nobody{n}@example.com"}).status_code
        for n in range(times)
    ]


def test_it_limits_each_client_behind_a_trusted_proxy_on_its_own(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert ask_fresh_links(through_proxy("203.0.113.9"), 6) == [200] * 5 + [429]
    # Another client behind the same proxy is not held back by the first one's requests.
    assert ask_fresh_links(through_proxy("198.51.100.21"), 1) == [200]


def test_it_ignores_what_a_client_writes_in_x_forwarded_for_itself(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The proxy appends the real peer; entries before it are the client's own, and vary.
    statuses = [
        through_proxy(f"192.0.2.{n}, 203.0.113.9")
        .post("/resync/fresh/", {"email": "nobody@example.com"})
        .status_code
        for n in range(6)
    ]
    assert statuses == [200] * 5 + [429]


def test_it_trusts_no_forwarded_header_unless_told(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    ask_fresh_links(through_proxy("203.0.113.9"), 5)
    # Without trusted proxies, everybody behind the proxy is one address: the proxy's.
    assert ask_fresh_links(through_proxy("198.51.100.21"), 1) == [429]


def test_it_counts_a_request_that_bypassed_the_proxies_by_its_peer(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2  # X-Forwarded-For holds fewer entries than that
    assert ask_fresh_links(through_proxy("203.0.113.9"), 1) == [200]  # no 500


def test_it_writes_the_client_address_in_the_audit_log(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    tenant = make_tenant()
    user = make_user(tenant)
    client = through_proxy("203.0.113.50")
    client.force_login(user)
    answer = client.post(reverse("dashboard:take-snapshot"), {"tenant": tenant.slug})
    assert answer.status_code == 302
    assert AuditEntry.objects.get(action="snapshot.take").ip == "203.0.113.50"


def test_it_locks_a_client_behind_the_proxy_not_the_proxy(settings) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = make_user(make_tenant())
    for n in range(10):
        through_proxy("203.0.113.7").post(
            reverse("account_login"), {"login": f"guess{n}", "password": "wrong"}
        )
    answer = through_proxy("198.51.100.20").post(
        reverse("account_login"), {"login": user.username, "password": PASSWORD}
    )
    assert answer.status_code == 302  # the next client through the same proxy gets in
    assert answer["Location"] == reverse("mfa_authenticate")


def test_it_shares_the_counters_between_processes_through_cache_url(tmp_path) -> None:
    redis_url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0]
    probe = (
        "from django.core.cache import cache\n"
        "cache.add('mio-test-shared', 0, timeout=60)\n"
        "print(cache.incr('mio-test-shared'))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "CACHE_URL": f"{redis_url}/7",
        "VAR_DIR": str(tmp_path),
    }
    seen = []
    for _ in range(2):  # two web processes
        done = subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", "shell", "-c", probe],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if "Connection refused" in done.stderr or "Error 111" in done.stderr:
            pytest.skip("no Redis here")
        assert done.returncode == 0, done.stderr[-2000:]
        seen.append(int(done.stdout.strip().splitlines()[-1]))
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.core.cache import cache; cache.clear()",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert seen[1] == seen[0] + 1  # the second process saw the first one's count
