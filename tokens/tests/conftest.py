"""Fixtures for the health engine's tests: real accounts minted by the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import Tenant
from platforms.registry import ADAPTERS, adapter_class
from tests.factories import make_person, make_tenant
from tokens.models import Credential, Installation, PlatformAccount
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


def install_bot(tenant: Tenant, platform: str, workspace_id: str) -> Installation:
    from platforms.sandbox.registry import get_fake

    found = Installation.objects.filter(tenant=tenant, platform=platform).first()
    if found is not None:
        return found
    bot = get_fake(platform).provision_bot(workspace_id)
    credential = Credential.objects.create(
        tenant=tenant,
        platform=platform,
        kind=Credential.Kind.BOT,
        access_token=bot.get("bot_token") or None,
    )
    return Installation.objects.create(
        tenant=tenant,
        platform=platform,
        workspace_id=workspace_id,
        bot_user_id=bot.get("bot_user_id", ""),
        service_url=bot.get("service_url", ""),
        credential=credential,
    )


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
