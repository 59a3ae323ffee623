"""Small helpers every text shares: names, dates, links and evidence as facts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from platforms.keys import Platform
from tokens.situations import CATALOGUE

# Teams' sign-in is Microsoft Entra: its codes are shown with their AADSTS prefix, as Entra's
# own sign-in logs and error pages show them.
ENTRA_PLATFORMS = {"teams"}


def platform_label(key: str) -> str:
    try:
        return Platform(key).label
    except ValueError:
        return key


def when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "—"


def site_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def incident_url(incident_id: int) -> str:
    """The incident's page in the dashboard (the admin's way to evidence, remedy, Verify now)."""
    for name in ("dashboard:incident", "dashboard:incident-detail", "dashboard-incident"):
        try:
            return site_url(reverse(name, args=[incident_id]))
        except NoReverseMatch:
            continue
    return site_url(f"/dashboard/incidents/{incident_id}/")


def app_id(platform: str) -> str:
    return str(settings.PLATFORM_APPS.get(platform, {}).get("client_id", ""))


def error_code(platform: str, evidence: dict[str, Any] | None) -> str:
    """The code an admin searches for: ``AADSTS53003`` for Entra, the platform's code else."""
    if not evidence:
        return ""
    codes = [str(c) for c in evidence.get("error_codes") or [] if str(c)]
    if platform in ENTRA_PLATFORMS and codes:
        return ", ".join(f"AADSTS{c}" for c in codes)
    parts = [str(evidence.get("error") or ""), *codes]
    return ", ".join(p for p in dict.fromkeys(parts) if p)


def evidence_facts(platform: str, evidence: dict[str, Any] | None) -> list[tuple[str, str]]:
    """What the admin needs to find the failure in the platform's own logs."""
    if not evidence:
        return []
    facts: list[tuple[str, str]] = []
    if code := error_code(platform, evidence):
        facts.append(("Error code", code))
    if evidence.get("suberror"):
        facts.append(("Sub-error", str(evidence["suberror"])))
    if evidence.get("correlation_id"):
        facts.append(("Correlation ID", str(evidence["correlation_id"])))
    if evidence.get("trace_id"):
        facts.append(("Trace ID", str(evidence["trace_id"])))
    stamp = evidence.get("timestamp") or evidence.get("observed_at")
    if stamp:
        facts.append(("Timestamp", str(stamp)))
    if evidence.get("http_status"):
        facts.append(("HTTP status", str(evidence["http_status"])))
    return facts


def remedy(situation: str) -> str:
    return CATALOGUE[situation].remedy if situation in CATALOGUE else ""
