"""Do the platform apps' credentials work? One check per platform, run against the platform.

Each platform's check lives in ``platforms/<key>/appcheck.py`` as ``check(app) -> list[Finding]``
where ``app`` is that platform's ``settings.PLATFORM_APPS`` entry (a test passes a wrong value
while the sandbox keeps the right one, exactly as a mistyped secret looks in production). A
finding says what was checked, whether it works, and when not, exactly what is wrong and where
to fix it. ``manage.py check_platforms`` and the operator's dashboard page print them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from django.conf import settings

from platforms.errors import PlatformError

log = logging.getLogger(__name__)

# key -> "module:function"; explicit, like platforms.registry.ADAPTERS.
APP_CHECKS: dict[str, str] = {
    "slack": "platforms.slack.appcheck:check",
    "teams": "platforms.teams.appcheck:check",
    "zoom": "platforms.zoom.appcheck:check",
    "webex": "platforms.webex.appcheck:check",
}


@dataclass(frozen=True)
class Finding:
    platform: str
    item: str  # what was checked, e.g. "Entra app: app-only token in tenant 1234…"
    ok: bool
    problem: str = ""  # what is wrong, in the operator's words
    fix: str = ""  # where to fix it: the setting, and the platform's page
    detail: str = ""  # the platform's own answer (error code, description, ids)
    skipped: bool = False  # nothing to check (the platform is not configured)

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "item": self.item,
            "ok": self.ok,
            "skipped": self.skipped,
            "problem": self.problem,
            "fix": self.fix,
            "detail": self.detail,
        }


def detail_of(err: PlatformError) -> str:
    """The platform's answer, as the operator would search for it in the platform's logs."""
    ev = err.evidence
    parts = [f"HTTP {ev.http_status}" if ev.http_status else "", ev.error]
    if ev.error_codes:
        parts.append("codes " + ",".join(ev.error_codes))
    if ev.description:
        parts.append(ev.description[:300])
    for label, value in (("correlation id", ev.correlation_id), ("trace id", ev.trace_id)):
        if value:
            parts.append(f"{label} {value}")
    return "; ".join(part for part in parts if part)


def unreachable(platform: str, item: str, err: PlatformError) -> Finding:
    return Finding(
        platform,
        item,
        ok=False,
        problem="The platform could not be reached or answered with a temporary error, so "
        "nothing was verified.",
        fix="Run the check again; if it persists, check this host's outbound HTTPS access "
        "(firewall, proxy) to the platform.",
        detail=detail_of(err),
    )


def missing(platform: str, item: str, names: Iterable[str], where: str) -> Finding:
    return Finding(
        platform,
        item,
        ok=False,
        problem=f"Not set: {', '.join(names)}.",
        fix=f"Set them in the environment (the env file); {where}",
    )


def check_function(key: str) -> Callable[[dict[str, Any]], list[Finding]]:
    module, name = APP_CHECKS[key].split(":")
    return getattr(import_module(module), name)


def run(platforms: Iterable[str] | None = None) -> list[Finding]:
    """Every configured platform's findings (a platform with no client id is one skipped row)."""
    findings: list[Finding] = []
    for key in platforms or APP_CHECKS:
        app = dict(settings.PLATFORM_APPS.get(key, {}))
        try:
            findings += check_function(key)(app)
        except Exception as exc:  # a bug in one check must not hide the others
            log.exception("the %s app check failed", key)
            findings.append(
                Finding(
                    key, "the check itself", ok=False, problem=f"It failed: {type(exc).__name__}."
                )
            )
    return findings
