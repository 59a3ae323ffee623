"""Store what a finished sign-in or bot install returns: a person's account, a tenant's bot."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Person, Tenant
from platforms.base import TokenGrant, store_grant
from tokens.models import Credential, CredentialState, Installation, PlatformAccount


@transaction.atomic
def attach_account(person: Person, platform: str, grant: TokenGrant) -> PlatformAccount:
    """Create or update ``person``'s account on ``platform`` with the grant's tokens."""
    account = (
        PlatformAccount.objects.select_related("credential")
        .filter(person=person, platform=platform)
        .first()
    )
    if account is None:
        account = PlatformAccount(person=person, platform=platform)
    account.upstream_user_id = grant.upstream_user_id
    account.workspace_id = grant.workspace_id
    account.email = grant.email or person.email
    # A sign-in that names the bot's address for this person refreshes it; one that does not
    # (most platforms) keeps what was learnt before.
    account.chat_address = grant.chat_address or account.chat_address
    credential = account.credential or Credential(tenant=person.tenant, platform=platform)
    credential.state = CredentialState.HEALTHY
    credential.situation = ""
    credential.grant_lost_at = None  # a fresh sign-in ends an operator's hold (tokens.redemption)
    credential.save()
    store_grant(credential, grant)
    account.credential = credential
    account.save()
    return account


@transaction.atomic
def record_installation(
    tenant: Tenant, platform: str, workspace_id: str, bot: Mapping[str, Any]
) -> Installation:
    """Record Mio's bot installed in ``tenant``'s workspace on ``platform``.

    ``bot`` is what the platform's install flow hands over: ``bot_token`` (Slack, Webex; Teams
    and Zoom bots have none), ``bot_user_id``, and ``service_url`` (Teams); with Slack's token
    rotation also ``refresh_token``, ``expires_in`` (seconds) and ``scopes``, so the adapter
    can refresh the bot token before it lapses (12 hours). A tenant has one
    installation per platform, so installing again updates it rather than adding a second:
    a reinstall's new bot token replaces the old one (which the platform revoked with the
    uninstall), and the bot's credential starts over unchecked, as a new one does.
    """
    installation = (
        Installation.objects.select_for_update().filter(tenant=tenant, platform=platform).first()
    )
    if installation is None:
        installation = Installation(tenant=tenant, platform=platform)
    credential = installation.credential or Credential(
        tenant=tenant, platform=platform, kind=Credential.Kind.BOT
    )
    now = timezone.now()
    credential.access_token = bot.get("bot_token") or None  # encrypted by the field
    # A reinstall without rotation clears what an earlier rotating install left behind.
    credential.refresh_token = bot.get("refresh_token") or None  # encrypted by the field
    credential.refresh_token_issued_at = now if credential.refresh_token else None
    expires_in = _seconds(bot.get("expires_in"))
    credential.expires_at = now + timedelta(seconds=expires_in) if expires_in else None
    if scopes := bot.get("scopes"):
        credential.scopes = [str(s) for s in scopes]
    credential.state = CredentialState.UNCHECKED
    credential.situation = ""
    credential.save()
    installation.workspace_id = workspace_id
    installation.bot_user_id = str(bot.get("bot_user_id") or "")
    installation.service_url = str(bot.get("service_url") or "")
    installation.is_active = True
    installation.credential = credential
    installation.save()
    return installation


def _seconds(value: Any) -> int | None:
    try:
        seconds = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return seconds if seconds and seconds > 0 else None


def grant_from_dict(data: dict) -> TokenGrant:
    return TokenGrant(
        access_token=data["access_token"],
        refresh_token=data.get("refresh_token"),
        expires_in=data.get("expires_in"),
        refresh_expires_in=data.get("refresh_expires_in"),
        scopes=list(data.get("scopes") or []),
        upstream_user_id=str(data.get("upstream_user_id") or ""),
        workspace_id=str(data.get("workspace_id") or ""),
        email=str(data.get("email") or ""),
        chat_address=str(data.get("chat_address") or ""),
    )
