"""Fixtures for the health engine's tests: real accounts minted by the sandbox over HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import Tenant
from platforms.registry import ADAPTERS, adapter_class
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
    minted by the sandbox and stored encrypted, as a finished sign-in leaves them."""

    def make(
        platform: str, *, tenant: Tenant | None = None, email: str | None = None
    ) -> PlatformAccount:
        tenant = tenant or make_tenant(primary_platform=platform)
        person = make_person(tenant, email=email)
        data = sandbox.provision(platform, person.email, person.name)
        return attach_account(person, platform, grant_from_dict(data["grant"]))

    return make


def fresh(account: PlatformAccount) -> Credential:
    return Credential.objects.get(pk=account.credential_id)
