"""``seed_demo --story``: the demo world with something to see.

On top of ``seed_demo``'s healthy world, for each tenant (told once: its 30-day history marks
it as done, so re-running keeps the data as it is):

- accounts on the tenant's primary platform are broken the way the real platform breaks them,
  through the sandbox's control API, and then *really detected*: the health engine checks them
  over HTTP, opens the incidents, and the outbox delivers the prompts to the sandbox inboxes.
  Across the four platforms that covers all eight situations of the seed's table;
- 30 days of healed history (``accounts.demo.history``) give the dashboard's charts a shape;
- every demo login gets a TOTP authenticator (``accounts.demo.mfa``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, timedelta

import requests
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone

from accounts.demo import history, mfa
from accounts.demo.server import quiet_logs, sandbox_server
from accounts.models import Tenant
from dashboard.models import DailySnapshot
from dashboard.snapshots import take_snapshots
from notifications.models import OutboxMessage
from notifications.tasks import dispatch_due
from platforms.sandbox.models import SandboxMessage
from tokens.models import Credential, PlatformAccount
from tokens.services import check_now

# What breaks on each primary platform, in order, one (situation, accounts) per line; each takes
# the next non-admin accounts of the tenant. Every platform here can produce its situations
# (see each sandbox fake's ``situations``); together they are the seed's eight.
STORY: dict[str, list[tuple[str, int]]] = {
    "slack": [("grant_revoked", 1), ("mfa_enrollment_required", 1)],
    "teams": [("ca_blocked", 3), ("refresh_token_inactive", 1)],
    "zoom": [("user_deleted", 1), ("consent_missing", 1)],
    "webex": [("user_disabled", 1), ("app_disabled", 1)],
}
SEED_SITUATIONS = frozenset(s for steps in STORY.values() for s, _ in steps)
# A check may pass once more on a still-valid access token before the failure shows.
CHECKS_PER_ACCOUNT = 3


@dataclass
class Told:
    tenants: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    broken: dict[str, list[str]] = field(default_factory=dict)  # situation -> emails
    missed: list[str] = field(default_factory=list)
    delivered: int = 0
    history: dict[str, int] = field(default_factory=dict)
    new_authenticators: int = 0


def tell(slugs: Iterable[str], say: Callable[[str], None] = print) -> Told:
    """Tell the story for these tenants (each once) and set up every demo login's TOTP."""
    told = Told()
    User = get_user_model()
    logins = User.objects.filter(Q(memberships__isnull=False) | Q(is_superuser=True)).distinct()
    told.new_authenticators = sum(mfa.ensure_totp(user) for user in logins)
    tenants = list(Tenant.objects.filter(slug__in=list(slugs)).order_by("pk"))
    fresh = [t for t in tenants if not already_told(t)]
    told.skipped = [t.slug for t in tenants if t not in fresh]
    if fresh:
        inboxes = SandboxMessage.objects.count()
        with sandbox_server() as sandbox_url, quiet_logs():
            for tenant in fresh:
                _break_and_detect(tenant, sandbox_url, told, say)
            _end_gathering_windows([t.pk for t in fresh])
            dispatch_due(budget=120)
        told.delivered = SandboxMessage.objects.count() - inboxes
        for tenant in fresh:
            for key, n in history.write(tenant).items():
                told.history[key] = told.history.get(key, 0) + n
            told.tenants.append(tenant.slug)
        take_snapshots()
    return told


def already_told(tenant: Tenant) -> bool:
    """The story's history is its mark: snapshots from before yesterday exist. (A tenant whose
    own snapshots are that old has a history already, and is left as it is too.)"""
    before = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    return DailySnapshot.objects.filter(tenant=tenant, day__lt=before).exists()


def _break_and_detect(tenant: Tenant, sandbox_url: str, told: Told, say: Callable) -> None:
    _note_entra_directory(tenant)
    steps = STORY.get(tenant.primary_platform, [])
    victims = list(
        PlatformAccount.objects.filter(
            person__tenant=tenant,
            person__is_tenant_admin=False,
            platform=tenant.primary_platform,
            credential__isnull=False,
        )
        .select_related("person", "credential")
        .order_by("person_id")
    )
    http = requests.Session()
    http.trust_env = False
    for situation, count in steps:
        chosen, victims = victims[:count], victims[count:]
        if len(chosen) < count:
            say(f"  {tenant.slug}: not enough people for {situation}; seed more with --people")
        for account in chosen:
            answer = http.post(
                f"{sandbox_url}/api/situation",
                json={
                    "platform": account.platform,
                    "user": account.email or account.person.email,
                    "situation": situation,
                },
                timeout=30,
            )
            answer.raise_for_status()
        for account in chosen:
            if _detect(account.credential_id, situation):
                told.broken.setdefault(situation, []).append(account.person.email)
            else:
                told.missed.append(f"{account.person.email} ({account.platform}: {situation})")


def _note_entra_directory(tenant: Tenant) -> None:
    """A Microsoft tenant's directory id, as its operator enters it: the admin pages build the
    admin-consent link for that directory (otherwise the generic "organizations" one)."""
    if tenant.entra_tenant_id:
        return
    directory = (
        PlatformAccount.objects.filter(person__tenant=tenant, platform="teams")
        .exclude(workspace_id="")
        .values_list("workspace_id", flat=True)
        .first()
    )
    if directory:
        Tenant.objects.filter(pk=tenant.pk).update(entra_tenant_id=directory)


def _end_gathering_windows(tenant_ids: list[int]) -> None:
    """A tenant-wide admin prompt waits ``NOTIFY_GROUP_WINDOW_SECONDS`` after the first failure
    so it can say how many accounts are blocked. Every account the story broke has been checked
    by now, so the window has done its job: the story lets the prompts go at once instead of
    leaving them to the demo's workers a minute later."""
    OutboxMessage.objects.filter(
        incident__tenant_id__in=tenant_ids,
        incident__tenant_wide=True,
        kind=OutboxMessage.Kind.PROMPT,
        status=OutboxMessage.Status.PENDING,
    ).update(next_attempt_at=timezone.now())


def _detect(credential_id: int, situation: str) -> bool:
    """Check the account as the sweep would, until the engine has classified its situation."""
    for _ in range(CHECKS_PER_ACCOUNT):
        check_now([credential_id], "schedule")
        if Credential.objects.filter(pk=credential_id, situation=situation).exists():
            return True
    return False


def report(told: Told, say: Callable[[str], None] = print) -> None:
    """What the story did, for the person running the demo."""
    if told.tenants:
        say(f"Story told for {', '.join(told.tenants)}:")
        for situation in sorted(told.broken):
            people = told.broken[situation]
            say(f"  {situation:<24} {len(people)} account(s), e.g. {people[0]}")
        say(
            f"  {told.delivered} prompt(s) delivered to the sandbox inboxes; "
            f"history: {told.history.get('incidents', 0)} healed incidents, "
            f"{told.history.get('checks', 0)} checks, {told.history.get('snapshots', 0)} "
            "daily snapshots."
        )
    if told.skipped:
        say(f"Story already told for {', '.join(told.skipped)}: kept as it is.")
    for miss in told.missed:
        say(f"  WARNING: not detected as expected: {miss}")
    if told.new_authenticators:
        say(f"Set up a TOTP authenticator for {told.new_authenticators} demo login(s).")
