"""``seed_demo`` then ``check_tokens``: the demo world reads healthy, then each situation."""

from __future__ import annotations

import fcntl
import io
import json
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from accounts.models import Membership, Person, Tenant
from platforms.sandbox.models import SandboxToken, SandboxUser
from tokens.models import Credential, Installation, PlatformAccount
from tokens.tests.conftest import PLATFORMS, database_url
from tokens.tests.test_detection import check_tokens_json


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (
            Tenant,
            Person,
            PlatformAccount,
            Credential,
            Installation,
            Membership,
            get_user_model(),
            SandboxUser,
            SandboxToken,
        )
    }


def test_seed_demo_builds_the_demo_world_once(db) -> None:
    output = seed()
    assert "admin" in output
    assert "mio-demo-2026" in output
    first = counts()
    seed()
    assert counts() == first  # run twice = same data
    tenants = list(Tenant.objects.all())
    assert sorted(t.primary_platform for t in tenants) == sorted(PLATFORMS)
    for tenant in tenants:
        people = list(Person.objects.filter(tenant=tenant))
        assert len(people) == 6
        assert any(p.is_tenant_admin for p in people)
        for person in people:
            platforms = set(person.accounts.values_list("platform", flat=True))
            assert tenant.primary_platform in platforms
            assert 2 <= len(platforms) <= 3
        used = set(
            PlatformAccount.objects.filter(person__tenant=tenant).values_list("platform", flat=True)
        )
        assert set(tenant.installations.values_list("platform", flat=True)) == used
        assert Membership.objects.filter(tenant=tenant, role="admin", person__isnull=False).exists()
    assert get_user_model().objects.filter(username="admin", is_superuser=True).exists()


def test_seed_demo_scales_with_its_options(db) -> None:
    seed("--tenants", "6", "--people", "3")
    assert Tenant.objects.count() == 6
    assert Person.objects.count() == 18
    with pytest.raises(CommandError):
        seed("--tenants", "0")


def test_seeded_tokens_are_never_stored_in_plaintext(db) -> None:
    seed("--tenants", str(len(PLATFORMS)), "--people", "2")
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM tokens_credential")
        raw = [value for row in cursor.fetchall() for value in row if value]
    plaintexts = [
        secret.reveal()
        for credential in Credential.objects.all()
        for secret in (credential.access_token, credential.refresh_token)
        if secret
    ]
    assert plaintexts
    for stored in raw:
        assert stored.startswith("gAAAAA")  # Fernet
        assert not any(p in stored for p in plaintexts)


def test_check_tokens_reads_the_seeded_world_healthy_then_a_situation(sandbox) -> None:
    seed()
    rows = check_tokens_json()
    assert len(rows) == PlatformAccount.objects.count()
    assert {r["state"] for r in rows} == {"healthy"}, [r for r in rows if r["state"] != "healthy"]
    assert all(r["situation"] is None and r["audience"] is None for r in rows)
    assert {"tenant", "person", "platform", "state", "situation", "audience", "evidence"} <= set(
        rows[0]
    )
    victim = rows[0]
    # Over the control API's HTTP, as an outside check would do it.
    sandbox.situation(victim["platform"], victim["person"], "grant_revoked")
    rows = check_tokens_json()
    broken = [r for r in rows if r["situation"]]
    assert [(r["person"], r["platform"]) for r in broken] == [
        (victim["person"], victim["platform"])
    ]
    assert (broken[0]["situation"], broken[0]["audience"]) == ("grant_revoked", "user")
    assert broken[0]["evidence"]["platform"] == victim["platform"]
    sandbox.situation(victim["platform"], victim["person"], None)
    assert {r["state"] for r in check_tokens_json()} == {"healthy"}


def test_check_tokens_filters_by_tenant_and_platform(sandbox) -> None:
    seed()
    tenant = Tenant.objects.order_by("slug").first()
    rows = check_tokens_json("--tenant", tenant.slug)
    assert rows
    assert {r["tenant"] for r in rows} == {tenant.slug}
    rows = check_tokens_json("--platform", PLATFORMS[0])
    assert {r["platform"] for r in rows} == {PLATFORMS[0]}
    with pytest.raises(CommandError, match="no tenant"):
        check_tokens_json("--tenant", "nope")


def test_check_tokens_prints_a_table_without_json(sandbox) -> None:
    seed("--tenants", "1", "--people", "2")
    out = io.StringIO()
    call_command("check_tokens", stdout=out)
    text = out.getvalue()
    assert "TENANT" in text
    assert "not healthy" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)


def test_check_tokens_shows_a_progress_bar_on_a_terminal(sandbox, live_server) -> None:
    seed("--tenants", "1", "--people", "2")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mio_heal.test_settings",
        "DATABASE_URL": database_url(),
        "SITE_URL": live_server.url,
        "SANDBOX_URL": f"{live_server.url}/sandbox",
    }
    terminal, tty = pty.openpty()  # stderr is a terminal: the bar is drawn there
    fcntl.ioctl(tty, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # 100 columns
    try:
        done = subprocess.run(
            [sys.executable, "manage.py", "check_tokens", "--json"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=subprocess.PIPE,
            stderr=tty,
            timeout=120,
            check=False,
        )
        os.close(tty)
        drawn = b""
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
    finally:
        os.close(terminal)
    assert done.returncode == 0, drawn.decode(errors="replace")
    assert b"Checking tokens" in drawn
    assert b"account" in drawn
    rows = json.loads(done.stdout)  # stdout stays pure JSON
    assert len(rows) == PlatformAccount.objects.count()
