"""Small builders for the data model, shared by every test."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from accounts.models import Person, Tenant
from tokens.models import Credential, CredentialState, Installation, PlatformAccount

_seq = itertools.count(1)


def make_tenant(slug: str | None = None, primary_platform: str = "slack", **kw: object) -> Tenant:
    n = next(_seq)
    slug = slug or f"tenant-{n}"
    return Tenant.objects.create(
        name=kw.pop("name", f"Tenant {n}"), slug=slug, primary_platform=primary_platform, **kw
    )


def make_person(tenant: Tenant, email: str | None = None, **kw: object) -> Person:
    n = next(_seq)
    return Person.objects.create(
        tenant=tenant,
        name=kw.pop("name", f"Person {n}"),
        email=email or f"person{n}@{tenant.slug}.example",
        **kw,
    )


def make_account(
    person: Person,
    platform: str = "slack",
    *,
    access_token: str = "",
    refresh_token: str = "",
    upstream_user_id: str | None = None,
    workspace_id: str = "W1",
    state: str = CredentialState.HEALTHY,
) -> PlatformAccount:
    n = next(_seq)
    credential = Credential.objects.create(
        tenant=person.tenant,
        platform=platform,
        access_token=access_token or f"{platform}-access-{n}-plaintext",
        refresh_token=refresh_token or f"{platform}-refresh-{n}-plaintext",
        expires_at=timezone.now() + timedelta(hours=1),
        state=state,
    )
    return PlatformAccount.objects.create(
        person=person,
        platform=platform,
        upstream_user_id=upstream_user_id or f"U{n:06d}",
        workspace_id=workspace_id,
        email=person.email,
        credential=credential,
    )


def make_installation(tenant: Tenant, platform: str = "slack", bot_token: str = "") -> Installation:
    credential = Credential.objects.create(
        tenant=tenant,
        platform=platform,
        kind=Credential.Kind.BOT,
        access_token=bot_token or f"{platform}-bot-token-{next(_seq)}",
    )
    return Installation.objects.create(
        tenant=tenant, platform=platform, workspace_id="W1", credential=credential
    )
