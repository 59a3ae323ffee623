"""The population a rig works on: tenants, people, accounts minted by the sandbox, bots.

Accounts are minted in-process by the sandbox fakes (the same code the control API's ``users``
call runs, without one HTTP round trip per account) and stored encrypted by
``tokens.provisioning``, exactly as a finished sign-in leaves them. Each tenant is one workspace
on one platform, with one tenant admin (who has an account there too) and the Mio bot
installed, so every prompt has a platform to go to.

Some user accounts are *broken*: the rig makes the sandbox fail them the way the real platform
fails for a situation. Per-account situations are spread over what each fake can produce; on
Teams one tenant also gets a Conditional Access block on several accounts (one tenant-wide
incident, one admin prompt).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Person, Tenant
from platforms.sandbox.bots import install_bot
from platforms.sandbox.registry import get_fake
from tokens.models import Credential
from tokens.provisioning import attach_account, grant_from_dict
from tokens.situations import CATALOGUE

PLATFORMS = ("slack", "teams", "zoom", "webex")
# Per-account situations each fake can produce (tenant-wide ones would merge into one incident).
SITUATIONS: dict[str, tuple[str, ...]] = {
    "slack": ("grant_revoked", "mfa_enrollment_required", "user_deleted"),
    "teams": (
        "grant_revoked",
        "mfa_enrollment_required",
        "password_expired",
        "refresh_token_inactive",
        "user_deleted",
        "user_disabled",
    ),
    "zoom": ("grant_revoked", "user_deleted", "user_disabled"),
    "webex": ("grant_revoked", "user_disabled"),
}
TENANT_WIDE = ("teams", "ca_blocked")
TENANT_WIDE_ACCOUNTS = 4


@dataclass(frozen=True)
class Broken:
    credential_id: int
    platform: str
    email: str
    situation: str

    @property
    def tenant_wide(self) -> bool:
        return CATALOGUE[self.situation].tenant_wide


@dataclass
class Population:
    tenants: list[int] = field(default_factory=list)
    users: list[int] = field(default_factory=list)  # user credentials (not admins)
    admins: list[int] = field(default_factory=list)  # the admins' credentials
    broken: list[Broken] = field(default_factory=list)

    @property
    def credentials(self) -> list[int]:
        return self.users + self.admins


def seed(
    accounts: int,
    *,
    people_per_tenant: int = 500,
    broken_fraction: float = 0.05,
    seed: int = 7,
    prefix: str = "rel",
    platforms: tuple[str, ...] = PLATFORMS,
    progress: Callable[[str], None] | None = None,
) -> Population:
    """``accounts`` user accounts spread evenly over ``platforms``, and who is broken."""
    population = Population()
    per_platform = [accounts // len(platforms)] * len(platforms)
    for i in range(accounts % len(platforms)):
        per_platform[i] += 1
    made = 0
    for platform, count in zip(platforms, per_platform, strict=True):
        fake = get_fake(platform)
        for start in range(0, count, people_per_tenant):
            slug = f"{prefix}-{platform}-{start // people_per_tenant:03d}"
            with transaction.atomic():
                tenant = Tenant.objects.create(name=slug, slug=slug, primary_platform=platform)
                admin = Person.objects.create(
                    tenant=tenant, name="Admin", email=f"admin@{slug}.example", is_tenant_admin=True
                )
                _user, grant = fake.provision(admin.email, admin.name)
                account = attach_account(admin, platform, grant_from_dict(grant))
                workspace = account.workspace_id
                install_bot(tenant, platform, workspace)
            population.tenants.append(tenant.pk)
            population.admins.append(account.credential_id)
            for i in range(start, min(start + people_per_tenant, count)):
                with transaction.atomic():
                    person = Person.objects.create(
                        tenant=tenant, name=f"User {i}", email=f"u{i:05d}@{slug}.example"
                    )
                    _user, grant = fake.provision(person.email, person.name, workspace)
                    account = attach_account(person, platform, grant_from_dict(grant))
                population.users.append(account.credential_id)
                made += 1
                if progress is not None and made % 1000 == 0:
                    progress(f"seeded {made}/{accounts} accounts")
    population.broken = choose_broken(population.users, broken_fraction, seed)
    return population


def choose_broken(users: list[int], fraction: float, seed: int) -> list[Broken]:
    """Which user accounts get a real situation, and which one (deterministic for a seed)."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible choice, not a secret
    wanted = max(1, round(len(users) * fraction)) if users and fraction > 0 else 0
    chosen = sorted(rng.sample(users, min(wanted, len(users))))
    rows = {
        c.pk: c for c in Credential.objects.filter(pk__in=chosen).select_related("account__person")
    }
    broken = []
    turn = dict.fromkeys(PLATFORMS, 0)
    for pk in chosen:
        credential = rows[pk]
        options = SITUATIONS[credential.platform]
        situation = options[turn[credential.platform] % len(options)]
        turn[credential.platform] += 1
        broken.append(Broken(pk, credential.platform, credential.account.email, situation))
    # One Teams tenant also loses several accounts to a Conditional Access policy at once.
    platform, situation = TENANT_WIDE
    taken = {b.credential_id for b in broken}
    candidates = [
        c
        for c in Credential.objects.filter(pk__in=users, platform=platform)
        .exclude(pk__in=taken)
        .select_related("account__person")
        .order_by("tenant_id", "pk")
    ]
    if candidates and wanted:
        tenant_id = candidates[0].tenant_id
        same = [c for c in candidates if c.tenant_id == tenant_id][:TENANT_WIDE_ACCOUNTS]
        broken += [Broken(c.pk, platform, c.account.email, situation) for c in same]
    return broken
