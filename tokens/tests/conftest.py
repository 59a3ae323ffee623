"""Fixtures for the health engine's tests: real accounts minted by the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import Tenant
from platforms.registry import ADAPTERS, adapter_class
from platforms.sandbox.bots import install_bot
from tests.factories import make_person, make_tenant
from tokens.models import Credential, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict


def ready_platforms() -> list[str]:
    """Platforms whose adapter and sandbox fake both exist (all four once they are built)."""
    from platforms.sandbox.registry import available

    fakes = available()
    found = []
    for key in ADAPTERS:
        try:
            adapter_class(key)
        except (ImportError, AttributeError):
            continue
        if key in fakes:
            found.append(key)
    return found


PLATFORMS = ready_platforms()


@pytest.fixture
def enroll(sandbox) -> Callable[..., PlatformAccount]:
    """``enroll(platform, tenant=None, email=None)``: a person with a valid account, tokens
    minted by the sandbox and stored encrypted, as a finished sign-in leaves them; the Mio bot
    is installed in the tenant's workspace (adapters use it, e.g. Slack to tell a revoked grant
    from an uninstalled app)."""

    def make(
        platform: str, *, tenant: Tenant | None = None, email: str | None = None
    ) -> PlatformAccount:
        tenant = tenant or make_tenant(primary_platform=platform)
        person = make_person(tenant, email=email)
        data = sandbox.provision(platform, person.email, person.name)
        account = attach_account(person, platform, grant_from_dict(data["grant"]))
        install_bot(tenant, platform, account.workspace_id)
        return account

    return make


def fresh(account: PlatformAccount) -> Credential:
    return Credential.objects.get(pk=account.credential_id)


def database_url() -> str:
    """The URL of the database the tests run on, for a subprocess to use the same one."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
