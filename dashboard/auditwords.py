"""The audit log in words: "Ada Hopper verified incident 3".

Who: the person a dashboard user is linked to (their membership's person), else the user's full
name, else the login name the entry kept. What: a verb phrase per action; the Django admin's
actions read from the labels ``AuditedAdmin`` registers. One query names every actor of a page.
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import Membership
from dashboard.audit import ADMIN_ACTIONS
from dashboard.models import AuditEntry

# action -> how it reads after the actor's name; {target} is the object, {summary} the result.
PHRASES = {
    "incident.verify": "verified {target} ({summary})",
    "incident.resend": "resent the prompts of {target}",
    "incident.snooze": "snoozed {target} for {summary}",
    "incident.resolve": "resolved {target} by hand",
    "account.check": "checked {target} now ({summary})",
    "snapshot.take": "refreshed the overview's snapshot",
    "slack.install": "installed Mio in Slack",
    "integration.check": "checked the bot of {target} ({summary})",
    "policy.change": "changed the prompt policy ({summary})",
    "team.invite": "invited {summary} to the dashboard",
    "team.accept": "joined the dashboard ({summary})",
    "team.role": "changed the role of {target} ({summary})",
    "team.remove": "removed {target} from the dashboard",
    "team.revoke": "revoked the invitation of {summary}",
    "login.microsoft_refused": "was refused a Microsoft sign-in",
}


def target_words(entry: AuditEntry) -> str:
    if entry.target_type == "notifications.Incident":
        return f"incident {entry.target_id}"
    return entry.target_label or "—"


def phrase(entry: AuditEntry) -> str:
    detail = entry.detail if isinstance(entry.detail, dict) else {}
    template = PHRASES.get(entry.action)
    if template is None and entry.action in ADMIN_ACTIONS:
        # "Admin: change platform account" -> "in the Django admin: change platform account …"
        label = ADMIN_ACTIONS[entry.action].removeprefix("Admin: ")
        template = "in the Django admin: " + label + (" {target}" if entry.target_label else "")
    if template is None:
        template = entry.action + (" {target}" if entry.target_label else "")
    return template.format(target=target_words(entry), summary=detail.get("summary", "—"))


def actor_names(entries: Iterable[AuditEntry]) -> dict[int, str]:
    """user id -> how to call them: their linked person's name, else their full name."""
    entries = list(entries)
    ids = {e.actor_id for e in entries if e.actor_id}
    if not ids:
        return {}
    names = dict(
        Membership.objects.filter(user_id__in=ids, person__isnull=False)
        .order_by("user_id", "pk")
        .values_list("user_id", "person__name")
    )
    for entry in entries:
        if entry.actor_id and not names.get(entry.actor_id) and entry.actor is not None:
            names[entry.actor_id] = entry.actor.get_full_name()
    return {k: v for k, v in names.items() if v}


def sentence(entry: AuditEntry, names: dict[int, str]) -> str:
    who = names.get(entry.actor_id or 0) or entry.actor_name
    return f"{who} {phrase(entry)}"


def annotate(entries: list[AuditEntry]) -> list[AuditEntry]:
    """Set ``sentence`` and ``who`` on each entry of a page (one query)."""
    names = actor_names(entries)
    for entry in entries:
        entry.who = names.get(entry.actor_id or 0) or entry.actor_name
        entry.sentence = sentence(entry, names)
    return entries
