"""``manage.py seed_demo [--tenants N] [--people N]``: the demo world, mirrored in the sandbox.

Tenants on each primary platform (one per platform by default), people with accounts on their
tenant's primary platform plus one or two others, tenant admins, dashboard logins with
memberships, the Mio bot installed on every platform a tenant uses, and valid tokens on both
sides: the sandbox mints them (``fake.provision``), the project stores them encrypted
(``tokens.provisioning.attach_account``).

Idempotent: everything is looked up by natural keys first, and an account that exists keeps its
tokens, so a second run changes nothing. The world is described by plain specs
(``demo_world``), so later "story" data is one more function that adds specs or acts on them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accounts.models import Membership, Person, Tenant
from tokens.models import Credential, Installation, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict

DEMO_PASSWORD = "mio-demo-2026"  # noqa: S105 - printed for the demo, never used in production
PLATFORMS = ["slack", "teams", "zoom", "webex"]
COMPANIES = ["Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne"]
FIRST = ["Ada", "Grace", "Alan", "Katherine", "Linus", "Margaret", "Dennis", "Barbara", "Ken"]
LAST = ["Lovelace", "Hopper", "Turing", "Johnson", "Torvalds", "Hamilton", "Ritchie", "Liskov"]


@dataclass
class PersonSpec:
    name: str
    email: str
    platforms: list[str]
    is_admin: bool = False


@dataclass
class TenantSpec:
    name: str
    slug: str
    primary: str
    people: list[PersonSpec] = field(default_factory=list)


def demo_world(tenants: int, people: int) -> list[TenantSpec]:
    """The deterministic demo: tenant i is on platform i mod 4; person k of a tenant uses its
    primary platform and one or two others; the first person (and the second, from 5 people
    on) is a tenant admin."""
    specs = []
    for i in range(tenants):
        primary = PLATFORMS[i % len(PLATFORMS)]
        company = COMPANIES[i % len(COMPANIES)]
        round_ = i // len(COMPANIES)
        slug = company.lower() + (f"-{round_ + 1}" if round_ else "")
        spec = TenantSpec(f"{company}{f' {round_ + 1}' if round_ else ''}", slug, primary)
        others = [p for p in PLATFORMS if p != primary]
        for k in range(people):
            first, last = FIRST[k % len(FIRST)], LAST[(k + i) % len(LAST)]
            suffix = str(k // len(FIRST) + 1) if k >= len(FIRST) else ""
            extra = [others[(k + j) % len(others)] for j in range(1 + k % 2)]
            spec.people.append(
                PersonSpec(
                    name=f"{first} {last}",
                    email=f"{first}.{last}{suffix}@{slug}.example".lower(),
                    platforms=[primary, *extra],
                    is_admin=k == 0 or (k == 1 and people >= 5),
                )
            )
        specs.append(spec)
    return specs


class Command(BaseCommand):
    help = "Create demo tenants, people, accounts with sandbox tokens, and logins. Safe to rerun."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenants", type=int, default=4, help="Tenants (default 4).")
        parser.add_argument("--people", type=int, default=6, help="People per tenant.")
        parser.add_argument(
            "--story",
            action="store_true",
            help="Also break accounts (detected for real), write 30 days of healed history and "
            "set up the logins' TOTP: accounts.demo.story. Told once per tenant.",
        )

    def handle(self, *args: Any, tenants: int, people: int, **options: Any) -> None:
        if not 1 <= tenants <= 100 or not 1 <= people <= 1000:
            raise CommandError("--tenants must be 1..100 and --people 1..1000")
        if not settings.SANDBOX_ENABLED:
            raise CommandError("seed_demo mints its tokens in the platform sandbox: enable it.")
        from platforms.sandbox.registry import available

        fakes = available()
        missing = [p for p in PLATFORMS if p not in fakes]
        if missing:
            self.stderr.write(f"No sandbox fake for {', '.join(missing)} yet; skipping those.")
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        logins = [("admin", "operator (Django admin)")]
        created = 0
        for spec in demo_world(tenants, people):
            made, tenant_logins = seed_tenant(spec, fakes)
            created += made
            logins += tenant_logins
        self.stdout.write(f"Seeded {tenants} tenant(s); {created} new account(s).")
        self.stdout.write(f"Logins (password for all: {DEMO_PASSWORD}):")
        for username, what in logins:
            self.stdout.write(f"  {username:<24} {what}")
        if options.get("story"):
            from accounts.demo import story

            slugs = [spec.slug for spec in demo_world(tenants, people)]
            story.report(story.tell(slugs, self.stdout.write), self.stdout.write)


@transaction.atomic
def seed_tenant(spec: TenantSpec, fakes: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
    tenant, _ = Tenant.objects.get_or_create(
        slug=spec.slug, defaults={"name": spec.name, "primary_platform": spec.primary}
    )
    created = 0
    admins = []
    for person_spec in spec.people:
        person, _ = Person.objects.update_or_create(
            tenant=tenant,
            email=person_spec.email,
            defaults={
                "name": person_spec.name,
                "is_tenant_admin": person_spec.is_admin,
                "preferred_platform": spec.primary,
            },
        )
        if person.is_tenant_admin:
            admins.append(person)
        for platform in person_spec.platforms:
            if platform in fakes and _ensure_account(person, platform, fakes[platform]):
                created += 1
    for platform in fakes:
        _ensure_installation(tenant, platform, fakes[platform])
    return created, _ensure_logins(tenant, admins)


def _ensure_account(person: Person, platform: str, fake: Any) -> bool:
    """Give ``person`` a valid account on ``platform`` unless they have one. True if new."""
    if (
        PlatformAccount.objects.filter(person=person, platform=platform)
        .exclude(credential=None)
        .exists()
    ):
        return False
    _user, grant = fake.provision(person.email, person.name)
    attach_account(person, platform, grant_from_dict(grant))
    return True


def _ensure_installation(tenant: Tenant, platform: str, fake: Any) -> None:
    if Installation.objects.filter(tenant=tenant, platform=platform).exists():
        return
    workspace = (
        PlatformAccount.objects.filter(person__tenant=tenant, platform=platform)
        .values_list("workspace_id", flat=True)
        .first()
    )
    if workspace is None:
        return  # nobody in this tenant uses the platform: no bot there
    bot = fake.provision_bot(workspace)
    credential = Credential.objects.create(
        tenant=tenant,
        platform=platform,
        kind=Credential.Kind.BOT,
        access_token=bot.get("bot_token") or None,
        state="healthy",
    )
    Installation.objects.create(
        tenant=tenant,
        platform=platform,
        workspace_id=workspace,
        bot_user_id=str(bot.get("bot_user_id") or ""),
        service_url=str(bot.get("service_url") or ""),
        credential=credential,
    )


def _ensure_logins(tenant: Tenant, admins: list[Person]) -> list[tuple[str, str]]:
    """A dashboard admin login per tenant admin person, and one read-only viewer."""
    User = get_user_model()
    logins = []
    wanted = [(f"{tenant.slug}-admin{'' if n == 0 else n + 1}", p) for n, p in enumerate(admins)]
    for username, person in wanted:
        user = _user(User, username, person.email)
        Membership.objects.update_or_create(
            user=user, tenant=tenant, defaults={"role": Membership.Role.ADMIN, "person": person}
        )
        logins.append((username, f"admin of {tenant.name} ({person.name})"))
    viewer = _user(User, f"{tenant.slug}-viewer", f"viewer@{tenant.slug}.example")
    Membership.objects.update_or_create(
        user=viewer, tenant=tenant, defaults={"role": Membership.Role.VIEWER}
    )
    logins.append((viewer.username, f"read-only viewer of {tenant.name}"))
    return logins


def _user(User: Any, username: str, email: str) -> Any:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, email, DEMO_PASSWORD)
    return user
