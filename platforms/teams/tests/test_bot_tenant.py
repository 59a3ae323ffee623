"""Single-tenant and multi-tenant Azure Bots: where the bot's Bot Framework token comes from."""

from __future__ import annotations

import pytest
import requests
from django.conf import settings as django_settings

from platforms.errors import PlatformError
from platforms.teams import connector
from platforms.teams.tests.test_send import MESSAGE, installation_of

BOT_HOME = "9b1c2d3e-4f50-4a6b-8c7d-8e9f0a1b2c3d"


@pytest.fixture
def single_tenant_bot(settings):
    apps = {**settings.PLATFORM_APPS}
    apps["teams"] = {**apps["teams"], "bot_tenant_id": BOT_HOME}
    settings.PLATFORM_APPS = apps
    connector.forget_bot_token()
    yield
    connector.forget_bot_token()


def test_it_sends_as_a_single_tenant_bot_with_a_token_from_its_own_tenant(
    sandbox, teams, teams_account, single_tenant_bot
) -> None:
    result = teams.send(installation_of(teams_account), teams_account, MESSAGE)
    assert result.message_id
    assert len(sandbox.inbox("teams", teams_account.person.email)) == 1


def ask_for_bot_token(tenant: str) -> requests.Response:
    """The bot's client-credentials request, as msal sends it, at ``tenant``'s token endpoint."""
    app = django_settings.PLATFORM_APPS["teams"]
    return requests.post(
        f"{django_settings.SANDBOX_URL}/teams/login/{tenant}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": app["bot_app_id"],
            "client_secret": app["bot_app_secret"],
            "scope": "https://api.botframework.com/.default",
        },
        timeout=10,
    )


def test_it_refuses_a_bot_token_asked_of_a_tenant_the_bot_is_not_registered_in(
    sandbox, single_tenant_bot
) -> None:
    for tenant in ("botframework.com", "0f0e0d0c-0b0a-4909-8807-060504030201"):
        answer = ask_for_bot_token(tenant)
        assert answer.status_code == 400, tenant
        assert "AADSTS700016" in answer.json()["error_description"]
    assert ask_for_bot_token(BOT_HOME).status_code == 200


def test_it_blames_the_operator_for_a_bot_registered_elsewhere(
    sandbox, teams, teams_account, monkeypatch
) -> None:
    # Mio is set up for a multi-tenant bot, but the Azure Bot is a single-tenant one: only the
    # fake's registration changes, Mio's settings do not.
    from platforms.sandbox.fakes.teams import shapes

    registered = shapes.app()
    monkeypatch.setattr(shapes, "app", lambda: {**registered, "bot_tenant_id": BOT_HOME})
    connector.forget_bot_token()
    try:
        with pytest.raises(PlatformError) as caught:
            teams.send(installation_of(teams_account), teams_account, MESSAGE)
    finally:
        connector.forget_bot_token()
    assert caught.value.situation == "operator_config"
    assert caught.value.evidence.error_codes == ["700016"]
