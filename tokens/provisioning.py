"""Attach a platform account and its credential to a person from a fresh grant."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Person
from platforms.base import TokenGrant, store_grant
from tokens.models import Credential, CredentialState, PlatformAccount


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
    credential = account.credential or Credential(tenant=person.tenant, platform=platform)
    credential.state = CredentialState.HEALTHY
    credential.situation = ""
    credential.save()
    store_grant(credential, grant)
    account.credential = credential
    account.save()
    return account


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
    )
