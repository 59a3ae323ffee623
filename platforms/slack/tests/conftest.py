"""Fixtures for Slack's own tests: a person with a Slack account and the Mio bot installed."""

from __future__ import annotations

import pytest

from platforms.registry import get_adapter
from platforms.sandbox.registry import get_fake
from tests.factories import make_person, make_tenant
from tokens.models import Credential, Installation, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict


@pytest.fixture
def slack():
    return get_adapter("slack")


@pytest.fixture
def slack_account(sandbox) -> PlatformAccount:
    """Provisioned through the control API (real HTTP), as the contract's account is."""
    tenant = make_tenant(primary_platform="slack")
    person = make_person(tenant, email=f"grace@{tenant.slug}.example", name="Grace Hopper")
    data = sandbox.provision("slack", person.email, person.name)
    account = attach_account(person, "slack", grant_from_dict(data["grant"]))
    bot = get_fake("slack").provision_bot(account.workspace_id)
    credential = Credential.objects.create(
        tenant=tenant, platform="slack", kind=Credential.Kind.BOT, access_token=bot["bot_token"]
    )
    Installation.objects.create(
        tenant=tenant,
        platform="slack",
        workspace_id=account.workspace_id,
        bot_user_id=bot["bot_user_id"],
        credential=credential,
    )
    return account
