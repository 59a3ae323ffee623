"""A tenant in the sandbox for the notifications tests: people, admins, bots, real tokens.

Everything goes through the sandbox over real HTTP (provisioning via the control API), so the
checks, prompts and deliveries in these tests are the same calls production makes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from accounts.models import Person, Tenant
from notifications.models import Incident, OutboxMessage
from platforms.sandbox.bots import install_bot
from platforms.tests.sandbox_client import SandboxClient
from tests.factories import make_person, make_tenant
from tokens.models import PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict
from tokens.services import check_now

PLATFORMS = ["slack", "teams", "zoom", "webex"]


@dataclass
class World:
    sandbox: SandboxClient
    tenant: Tenant
    platform: str
    users: list[PlatformAccount] = field(default_factory=list)
    admins: list[Person] = field(default_factory=list)

    def account(self, person: Person, platform: str | None = None) -> PlatformAccount:
        return PlatformAccount.objects.get(person=person, platform=platform or self.platform)

    def add_account(self, person: Person, platform: str) -> PlatformAccount:
        data = self.sandbox.provision(platform, person.email, person.name)
        account = attach_account(person, platform, grant_from_dict(data["grant"]))
        install_bot(self.tenant, platform, account.workspace_id)
        return account

    def break_(self, account: PlatformAccount, situation: str | None) -> None:
        self.sandbox.situation(account.platform, account.person.email, situation)

    def check(self, *accounts: PlatformAccount, source: str = "schedule") -> dict:
        ids = [a.credential_id for a in accounts or self.users]
        return check_now(ids, source)

    def inbox(self, person: Person, platform: str | None = None) -> list[dict[str, Any]]:
        return self.sandbox.inbox(platform or self.platform, person.email)

    def received(self, person: Person, mail: list | None = None) -> list[str]:
        """Everything that reached ``person``: on any chat platform, and by email."""
        texts = [payload_text(m) for m in self.sandbox.inbox(user=person.email)]
        texts += [f"{m.subject}\n{m.body}" for m in mail or [] if person.email in m.to]
        return texts

    def open_incidents(self) -> list[Incident]:
        return list(Incident.objects.filter(tenant=self.tenant, status="open"))

    def rows(self, **filters: Any) -> list[OutboxMessage]:
        return list(OutboxMessage.objects.filter(tenant=self.tenant, **filters).order_by("pk"))


def build(
    sandbox: SandboxClient,
    platform: str,
    *,
    users: int = 1,
    admins: int = 1,
    **tenant: Any,
) -> World:
    slug = tenant.pop("slug", None)
    t = make_tenant(slug=slug, primary_platform=platform, **tenant)
    world = World(sandbox=sandbox, tenant=t, platform=platform)
    for i in range(admins):
        admin = make_person(
            t, email=f"admin{i}@{t.slug}.example", name=f"Admin {i}", is_tenant_admin=True
        )
        world.add_account(admin, platform)
        world.admins.append(admin)
    for i in range(users):
        person = make_person(t, email=f"user{i}@{t.slug}.example", name=f"User {i}")
        world.users.append(world.add_account(person, platform))
    return world


def payload_text(item: dict[str, Any]) -> str:
    """A delivered message's payload as text, with JSON escapes undone (for "in" checks)."""
    raw = item["payload"]
    try:
        return json.dumps(json.loads(raw), ensure_ascii=False)
    except ValueError:
        return raw
