"""What a tenant admin reads: what broke, the evidence to find it, and the remedy step by step.

Remedies are per platform where the consoles differ (Entra, Slack, Zoom, Webex); the evidence
facts carry what each console searches by (AADSTS code, correlation id, timestamp, app id).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from platforms.messages import Action, Message
from tokens.situations import Situation

from .common import (
    app_id,
    error_code,
    evidence_facts,
    incident_url,
    platform_label,
    remedy,
    when,
)

ENTRA_CONSENT_URL = "https://login.microsoftonline.com/{tenant}/adminconsent?client_id={client}"


@dataclass
class AdminContext:
    incident_id: int
    platform: str
    situation: str
    affected: int = 1
    examples: list[str] = field(default_factory=list)  # a few affected people's emails
    person: str = ""  # account-level incidents: whose account
    evidence: dict[str, Any] | None = None
    directory_id: str = ""  # Entra tenant id (Teams)
    since: Any = None
    reminder: int = 0


def admin_consent_url(directory_id: str, client_id: str) -> str:
    return ENTRA_CONSENT_URL.format(tenant=directory_id or "organizations", client=client_id)


def _people(ctx: AdminContext) -> str:
    if ctx.person:
        return ctx.person
    # Counted when the message is sent; the incident page has the live count.
    return "1 person so far" if ctx.affected == 1 else f"{ctx.affected} people so far"


# --- per situation: (title, what happened, the remedy as steps) ---------------------------------


def _ca_blocked(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    corr = (ctx.evidence or {}).get("correlation_id") or "shown below"
    return (
        f"Conditional Access is blocking Mio in {p}",
        f"A Conditional Access policy in your Microsoft Entra tenant blocks Mio's sign-in "
        f"({code or 'AADSTS53003'}), so {_people(ctx)} can no longer chat through Mio.",
        [
            f"In the Microsoft Entra admin center, open Sign-in logs and search for the "
            f"correlation ID {corr} to see which Conditional Access policy blocked Mio.",
            f"Open that policy (Protection > Conditional Access > Policies), and under Target "
            f"resources > Exclude add the Mio app (app ID {app_id(ctx.platform)}); or change "
            "the conditions (locations, device state) that Mio's sign-ins fail.",
            "Save, then press Verify now on the incident page: Mio re-checks every affected "
            "account and tells you when it works.",
        ],
    )


def _consent_missing(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    if ctx.platform == "teams":
        steps = [
            "Press Grant admin consent (a Global Administrator, Cloud Application "
            "Administrator or Application Administrator can) and accept for the organisation.",
            "Then press Verify now on the incident page.",
        ]
    else:
        steps = [
            f"In {p}'s admin console, approve the Mio app for your organisation.",
            "Then press Verify now on the incident page.",
        ]
    return (
        f"Mio needs admin consent in {p}",
        f"Nobody has consented to the Mio app for your organisation{_code(code)}, so "
        f"{_people(ctx)} cannot connect Mio to {p}.",
        steps,
    )


APP_ENABLE_STEPS = {
    "teams": "In the Microsoft Entra admin center, open Enterprise applications > Mio > "
    "Properties and set \u201cEnabled for users to sign-in?\u201d to Yes.",
    "slack": "In Slack, open Settings & administration > Manage apps > Mio and restore the "
    "app (with Enterprise Key Management, allow Mio's access again).",
    "zoom": "In the Zoom App Marketplace, open Manage > Added apps and enable Mio again "
    "(an account admin can allow it under Admin > Advanced > App Marketplace).",
    "webex": "In Webex Control Hub, open Apps > Integrations and allow Mio again.",
}


def _app_disabled(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    return (
        f"The Mio app is disabled in {p}",
        f"The Mio app was disabled for your organisation{_code(code)}, so {_people(ctx)} "
        "can no longer chat through Mio.",
        [APP_ENABLE_STEPS.get(ctx.platform, remedy(ctx.situation)), "Then press Verify now."],
    )


def _app_uninstalled(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    return (
        f"The Mio app was removed from {p}",
        f"The Mio app was uninstalled or deauthorised{_code(code)}, so {_people(ctx)} can "
        "no longer chat through Mio.",
        [
            f"Reinstall Mio in {p} (the same install link your organisation used before).",
            "Press Verify now: whoever still needs to sign in again gets their own re-sync "
            "button, and you are told once everything works.",
        ],
    )


def _insufficient_scope(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    first = (
        "Press Grant admin consent to approve Mio's updated permissions for the organisation."
        if ctx.platform == "teams"
        else f"Approve Mio's updated permissions (scopes) in {p}'s app management page."
    )
    return (
        f"Mio needs updated permissions in {p}",
        f"Mio's access lacks a permission it needs{_code(code)}, so {_people(ctx)} cannot "
        "chat through Mio.",
        [first, "Then press Verify now."],
    )


def _user_gone(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    deleted = ctx.situation == Situation.USER_DELETED
    what = "was deleted from the directory" if deleted else "is disabled"
    restore = (
        "If it was deleted by mistake, restore the user (Entra keeps deleted users for 30 "
        "days under Users > Deleted users)."
        if deleted and ctx.platform == "teams"
        else (
            f"If that was a mistake, restore the user in {p}."
            if deleted
            else f"If they should still have access, re-enable the account in {p}."
        )
    )
    return (
        f"{ctx.person or 'A user'}'s {p} account {what}",
        f"{ctx.person or 'A user'}'s {p} account {what}{_code(code)}, so Mio cannot relay "
        "their chats.",
        [
            restore,
            "If the person has left, remove them from Mio's sync on the incident page so Mio "
            "stops checking and prompting.",
        ],
    )


def _unknown(ctx: AdminContext, p: str, code: str) -> tuple[str, str, list[str]]:
    return (
        f"Mio hit an unrecognised {p} error",
        f"{p} refused Mio's access for {_people(ctx)} with an error Mio does not recognise"
        f"{_code(code)}.",
        [
            "Check the evidence below and the full response on the incident page.",
            "Once you have changed what caused it, press Verify now.",
        ],
    )


SITUATIONS = {
    Situation.CA_BLOCKED: _ca_blocked,
    Situation.CONSENT_MISSING: _consent_missing,
    Situation.APP_DISABLED: _app_disabled,
    Situation.APP_UNINSTALLED: _app_uninstalled,
    Situation.INSUFFICIENT_SCOPE: _insufficient_scope,
    Situation.USER_DELETED: _user_gone,
    Situation.USER_DISABLED: _user_gone,
}


def _code(code: str) -> str:
    return f" ({code})" if code else ""


def admin_prompt(ctx: AdminContext) -> Message:
    p = platform_label(ctx.platform)
    code = error_code(ctx.platform, ctx.evidence)
    build = SITUATIONS.get(ctx.situation, _unknown)
    title, what, steps = build(ctx, p, code)
    if ctx.reminder:
        title = f"Reminder: {title}"
    text = what + "\n\nTo fix it:\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
    facts = [("Platform", p)]
    if ctx.person:
        facts.append(("Person", ctx.person))
    else:
        facts.append(("Affected accounts", str(ctx.affected)))
        if ctx.examples:
            facts.append(("For example", ", ".join(ctx.examples[:3])))
    facts += evidence_facts(ctx.platform, ctx.evidence)
    if ctx.platform == "teams" or ctx.situation in (
        Situation.CA_BLOCKED,
        Situation.CONSENT_MISSING,
    ):
        facts.append(("App ID", app_id(ctx.platform)))
    facts.append(("Detected", when(ctx.since)))
    actions = [Action("Open the incident", incident_url(ctx.incident_id))]
    if ctx.platform == "teams" and ctx.situation in (
        Situation.CONSENT_MISSING,
        Situation.INSUFFICIENT_SCOPE,
    ):
        consent = admin_consent_url(ctx.directory_id, app_id(ctx.platform))
        actions.insert(0, Action("Grant admin consent", consent))
        facts.append(("Admin consent link", consent))
    return Message(title=title, text=text, facts=facts, actions=actions, tone="warning")


def escalation(
    *, incident_id: int, platform: str, person: str, situation: str, since: Any, reminders: int
) -> Message:
    p = platform_label(platform)
    asked = (
        f"and reminded them {reminders} time{'s' if reminders != 1 else ''}" if reminders else ""
    )
    return Message(
        title=f"{person} has not re-synced their {p} account",
        text=(
            f"On {when(since)} Mio asked {person} to re-sync their {p} account {asked}".rstrip()
            + ". Until they do, Mio cannot relay their chats. A word from you usually helps; "
            "or remove them from Mio's sync if they no longer need it."
        ),
        facts=[("Person", person), ("Platform", p), ("Reason", remedy(situation))],
        actions=[Action("Open the incident", incident_url(incident_id))],
        tone="warning",
    )


# Evidence errors of a refresh whose answer Mio could not read (tokens.redemption): not a
# configuration fault, and no user is asked; the operator decides.
LOST_GRANT_ERRORS = frozenset({"unreadable_grant", "grant_held"})


def operator_alert(ctx: AdminContext, tenant: str) -> Message:
    p = platform_label(ctx.platform)
    if (ctx.evidence or {}).get("error") in LOST_GRANT_ERRORS:
        return _lost_grant_alert(ctx, tenant, p)
    code = _code(error_code(ctx.platform, ctx.evidence))
    return Message(
        title=f"Mio's own {p} app configuration is rejected",
        text=(
            f"{p} rejects Mio's client credentials or redirect URI{code} "
            f"(seen for tenant {tenant}). Every tenant on {p} is affected until it is fixed: "
            f"check the {p} client id, secret (expired or rotated?) and redirect URI in the "
            "environment, then restart the workers."
        ),
        facts=[
            ("Platform", p),
            ("App ID", app_id(ctx.platform)),
            *evidence_facts(ctx.platform, ctx.evidence),
        ],
        actions=[Action("Open the incident", incident_url(ctx.incident_id))],
        tone="warning",
    )


def _lost_grant_alert(ctx: AdminContext, tenant: str, p: str) -> Message:
    return Message(
        title=f"Mio could not read a {p} refresh it asked for",
        text=(
            f"{p} renewed a user's sign-in (seen for tenant {tenant}), but its answer reached "
            "Mio cut off or unreadable, so the new tokens may be lost and the old refresh token "
            "spent. Mio asks no user to sign in again for this on its own. Look at the "
            "evidence (tokens masked), then in the admin's credentials (filter: held for the "
            "operator) use 'Release held credentials' to re-check them and, where the platform "
            "refuses them, ask their users to re-sync."
        ),
        facts=[("Platform", p), *evidence_facts(ctx.platform, ctx.evidence)],
        actions=[Action("Open the incident", incident_url(ctx.incident_id))],
        tone="warning",
    )


def unreachable(*, incident_id: int, platform: str, person: str, situation: str) -> Message:
    """A user's prompt reached them on no channel (chat nor email): their admins hear at once."""
    p = platform_label(platform)
    return Message(
        title=f"Mio could not reach {person} about their {p} account",
        text=(
            f"{person}'s {p} account needs them to sign in again, and Mio could not deliver "
            "the message asking them to: every chat app and their email refused it. Until "
            "they re-sync, Mio cannot relay their chats. Please let them know; they can "
            f"re-sync from the link on the incident page. Mio keeps trying to reach them too."
        ),
        facts=[("Person", person), ("Platform", p), ("Reason", remedy(situation))],
        actions=[Action("Open the incident", incident_url(incident_id))],
        tone="warning",
    )


def unreached(
    *, incident_id: int, tenant: str, recipient: str, message: str, error: str
) -> Message:
    """To the operator: a message someone had to act on reached nobody."""
    return Message(
        title=f"Mio could not deliver a message to {recipient} ({tenant})",
        text=(
            f"The message \u201c{message}\u201d to {recipient} of {tenant} failed on every "
            "channel, email included, so nobody in that tenant knows about the problem it "
            "was about. Check the outbox entry's last error, the recipient's address, and "
            "the mail settings."
        ),
        facts=[("Tenant", tenant), ("Recipient", recipient), ("Last error", error[:300])],
        actions=[Action("Open the incident", incident_url(incident_id))],
        tone="warning",
    )
