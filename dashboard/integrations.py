"""What the integrations page knows about each platform's Mio bot in one tenant.

Per platform: the installation (workspace, bot, when), who installed it (the audit log's
``<platform>.install`` entry), its token (rotating or not, last refresh, expiry) and the bot's
health (its credential's state, and any open incident that says the app is gone or disabled).
Four queries whatever the tenant's size; no token is loaded, let alone decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.urls import reverse

from accounts.models import Tenant
from dashboard.models import AuditEntry
from notifications.models import Incident
from platforms.keys import Platform
from tokens.models import Installation
from tokens.situations import Situation

# Situations that mean the bot itself (not a person's sign-in) is in trouble.
BOT_SITUATIONS = [
    Situation.APP_UNINSTALLED,
    Situation.APP_DISABLED,
    Situation.INSUFFICIENT_SCOPE,
    Situation.CONSENT_MISSING,
]
# Where a platform's install flow starts in Mio (the dashboard's own pages); platforms without
# one here are installed from their admin center, as ``HOW_TO_INSTALL`` says.
INSTALL_FLOWS = {Platform.SLACK.value: "slack-install:start"}
HOW_TO_INSTALL = {
    Platform.SLACK.value: "Add to Slack installs the Mio bot in your workspace (you approve its "
    "scopes on Slack's page); installing again replaces its token.",
    Platform.TEAMS.value: "Upload Mio's app package in the Teams admin center (Manage apps), "
    "then grant admin consent in Entra ID.",
    Platform.ZOOM.value: "Add Mio from the Zoom App Marketplace as an account admin; the "
    "chatbot is then available to everyone in the account.",
    Platform.WEBEX.value: "Add the Mio bot in Webex Control Hub; people can then message it.",
}
# The relay API's pages (api/, outbound/): URL name -> label.
RELAY_PAGES = {
    "relay-dashboard:keys": "API keys",
    "webhooks:list": "Webhook endpoints",
}


@dataclass
class Integration:
    platform: str
    label: str
    installation: Installation | None
    installed_by: str
    problems: list[Incident]
    install_url: str
    how_to_install: str

    @property
    def healthy(self) -> bool:
        inst = self.installation
        return bool(inst and inst.is_active and not self.problems) and (
            inst.credential is None or not inst.credential.situation
        )


def integrations(tenant: Tenant) -> list[Integration]:
    installs = {
        i.platform: i
        for i in Installation.objects.filter(tenant=tenant)
        .select_related("credential")
        .defer("credential__access_token", "credential__refresh_token")
        .annotate(
            rotating=ExpressionWrapper(
                Q(credential__refresh_token__isnull=False), output_field=BooleanField()
            )
        )
    }
    installed_by: dict[str, str] = {}
    for action, actor in (
        AuditEntry.objects.filter(tenant=tenant, action__endswith=".install")
        .order_by("-at")
        .values_list("action", "actor_name")[:50]
    ):
        installed_by.setdefault(action.split(".")[0], actor)
    problems: dict[str, list[Incident]] = {}
    for incident in Incident.objects.filter(
        tenant=tenant, status=Incident.Status.OPEN, situation__in=BOT_SITUATIONS
    ).order_by("-opened_at")[:20]:
        problems.setdefault(incident.platform, []).append(incident)
    result = []
    for platform in Platform:
        flow = INSTALL_FLOWS.get(platform.value)
        result.append(
            Integration(
                platform=platform.value,
                label=platform.label,
                installation=installs.get(platform.value),
                installed_by=installed_by.get(platform.value, ""),
                problems=problems.get(platform.value, []),
                install_url=f"{reverse(flow)}?tenant={tenant.slug}" if flow else "",
                how_to_install=HOW_TO_INSTALL.get(platform.value, ""),
            )
        )
    return result


def relay_links(tenant: Tenant) -> list[dict[str, Any]]:
    """The relay API's pages (they list the keys and endpoints of every tenant one may see)."""
    return [{"label": label, "url": reverse(name)} for name, label in RELAY_PAGES.items()]


def check_bot(installation: Installation) -> tuple[bool, str, dict[str, Any]]:
    """Ask the platform whether the bot's own token works now (refreshing a rotating one when
    due, as sending would). Returns (works, a sentence for the page, the audit detail)."""
    from platforms.registry import get_adapter

    label = installation.get_platform_display()
    credential = installation.credential
    if credential is None or not installation.is_active:
        return False, f"The {label} bot has no token of its own to check.", {"summary": "none"}
    outcome = get_adapter(installation.platform).check(credential)
    detail = {"summary": "ok" if outcome.healthy else str(outcome.situation.value)}
    if outcome.healthy:
        return True, f"The {label} bot works ({outcome.latency_ms} ms).", detail
    evidence = outcome.evidence.as_dict() if outcome.evidence else {}
    detail["error"] = str(evidence.get("error", ""))[:100]
    return (
        False,
        f"The {label} bot does not work: {outcome.situation.label}"
        + (f" ({detail['error']})." if detail["error"] else "."),
        detail,
    )
