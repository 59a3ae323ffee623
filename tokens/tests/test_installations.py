"""Recording Mio's bot installation from the grant an install flow returns."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from platforms.sandbox import core
from platforms.sandbox.bots import install_bot
from platforms.sandbox.models import SandboxToken
from tests.factories import make_tenant
from tokens.models import Credential, CredentialState, Installation
from tokens.provisioning import record_installation
from tokens.secret import reveal

pytestmark = pytest.mark.django_db

SLACK_BOT = {"bot_token": "xoxb-1111-2222-first-bot-token", "bot_user_id": "U0MIOBOT"}


def stored_ciphertext(credential: Credential, column: str = "access_token") -> str:
    """A token column as the database holds it (no field decryption)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {Credential._meta.db_table} WHERE id = %s",  # noqa: S608
            [credential.pk],
        )
        return cursor.fetchone()[0]


def test_it_records_the_bot_with_its_token_encrypted() -> None:
    tenant = make_tenant()

    installation = record_installation(tenant, "slack", "T0WORK", SLACK_BOT)

    installation = Installation.objects.select_related("credential").get(pk=installation.pk)
    assert (installation.tenant, installation.platform) == (tenant, "slack")
    assert installation.workspace_id == "T0WORK"
    assert installation.bot_user_id == "U0MIOBOT"
    assert installation.is_active
    credential = installation.credential
    assert (credential.tenant, credential.platform) == (tenant, "slack")
    assert credential.kind == Credential.Kind.BOT
    assert reveal(credential.access_token) == SLACK_BOT["bot_token"]
    raw = stored_ciphertext(credential)
    assert raw
    assert SLACK_BOT["bot_token"] not in raw


def test_it_records_a_bot_without_a_token_and_its_service_url() -> None:
    tenant = make_tenant(primary_platform="teams")
    bot = {"bot_token": "", "bot_user_id": "28:app-id", "service_url": "https://smba.example/"}

    installation = record_installation(tenant, "teams", "entra-tenant-id", bot)

    installation.refresh_from_db()
    assert installation.service_url == "https://smba.example/"
    assert installation.bot_user_id == "28:app-id"
    assert installation.credential.access_token is None
    assert stored_ciphertext(installation.credential) is None


def test_it_keeps_a_rotating_bots_refresh_token_encrypted_and_its_expiry() -> None:
    tenant = make_tenant()
    bot = {
        "bot_token": "xoxe.xoxb-1-rotating-bot-token",
        "bot_user_id": "U0MIOBOT",
        "refresh_token": "xoxe-1-bot-refresh-token",
        "expires_in": 43200,
        "scopes": ["chat:write", "im:write"],
    }

    installation = record_installation(tenant, "slack", "T0WORK", bot)

    credential = Credential.objects.get(pk=installation.credential_id)
    assert reveal(credential.refresh_token) == bot["refresh_token"]
    raw = stored_ciphertext(credential, "refresh_token")
    assert raw
    assert bot["refresh_token"] not in raw
    left = (credential.expires_at - timezone.now()).total_seconds()
    assert 43100 < left <= 43200
    assert credential.refresh_token_issued_at is not None
    assert credential.scopes == ["chat:write", "im:write"]
    # Installed again without rotation: nothing of the old grant is left to refresh with.
    record_installation(tenant, "slack", "T0WORK", SLACK_BOT)
    credential.refresh_from_db()
    assert credential.refresh_token is None
    assert credential.expires_at is None


def test_it_updates_the_one_installation_when_the_bot_is_installed_again() -> None:
    tenant = make_tenant()
    first = record_installation(tenant, "slack", "T0WORK", SLACK_BOT)
    # The app was removed and its bot marked broken; an admin installs it again.
    Installation.objects.filter(pk=first.pk).update(is_active=False)
    Credential.objects.filter(pk=first.credential_id).update(
        state=CredentialState.WAITING_ADMIN, situation="app_uninstalled"
    )

    again = record_installation(
        tenant, "slack", "T0WORK", {"bot_token": "xoxb-new-token", "bot_user_id": "U0MIOBOT2"}
    )

    assert Installation.objects.filter(tenant=tenant, platform="slack").count() == 1
    assert Credential.objects.filter(tenant=tenant, kind=Credential.Kind.BOT).count() == 1
    again = Installation.objects.select_related("credential").get(pk=again.pk)
    assert again.pk == first.pk
    assert again.is_active
    assert again.bot_user_id == "U0MIOBOT2"
    assert reveal(again.credential.access_token) == "xoxb-new-token"
    assert again.credential.state == CredentialState.UNCHECKED
    assert again.credential.situation == ""


def test_it_keeps_one_installation_per_platform_apart_from_other_tenants() -> None:
    tenant, other = make_tenant(), make_tenant()

    record_installation(tenant, "slack", "T0WORK", SLACK_BOT)
    record_installation(tenant, "webex", "ORG1", {"bot_token": "webex-bot", "bot_user_id": "B1"})
    record_installation(other, "slack", "T0OTHER", {"bot_token": "xoxb-other"})

    assert set(Installation.objects.filter(tenant=tenant).values_list("platform", flat=True)) == {
        "slack",
        "webex",
    }
    theirs = Installation.objects.get(tenant=other)
    assert theirs.workspace_id == "T0OTHER"
    assert reveal(theirs.credential.access_token) == "xoxb-other"


def test_it_installs_a_bot_the_sandbox_accepts_and_mints_it_once() -> None:
    tenant = make_tenant()

    installation = install_bot(tenant, "slack", "T0SANDBOX")
    again = install_bot(tenant, "slack", "T0SANDBOX")

    assert again.pk == installation.pk
    token = core.find("slack", SandboxToken.Kind.BOT, reveal(installation.credential.access_token))
    assert core.usable(token)
    assert token.meta["workspace_id"] == "T0SANDBOX"
    assert SandboxToken.objects.filter(platform="slack", kind=SandboxToken.Kind.BOT).count() == 1
