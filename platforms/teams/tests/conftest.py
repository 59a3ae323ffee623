"""Fixtures for the Teams tests: a person with a Teams account and Mio's bot installed."""

from __future__ import annotations

import pytest

from platforms.registry import get_adapter
from platforms.sandbox.registry import get_fake
from platforms.teams.adapter import TeamsAdapter
from tests.factories import make_person, make_tenant
from tokens.models import Credential, Installation, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict


@pytest.fixture
def teams() -> TeamsAdapter:
    adapter = get_adapter("teams")
    assert isinstance(adapter, TeamsAdapter)
    return adapter


@pytest.fixture
def teams_account(sandbox) -> PlatformAccount:
    tenant = make_tenant(primary_platform="teams")
    person = make_person(tenant, email=f"grace@{tenant.slug}.example", name="Grace Hopper")
    data = sandbox.provision("teams", person.email, person.name)
    account = attach_account(person, "teams", grant_from_dict(data["grant"]))
    bot = get_fake("teams").provision_bot(account.workspace_id)
    credential = Credential.objects.create(tenant=tenant, platform="teams", kind="bot")
    Installation.objects.create(
        tenant=tenant,
        platform="teams",
        workspace_id=account.workspace_id,
        bot_user_id=bot["bot_user_id"],
        service_url=bot["service_url"],
        credential=credential,
    )
    return account


def credential_of(account: PlatformAccount) -> Credential:
    return Credential.objects.get(pk=account.credential_id)
