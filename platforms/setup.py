"""What to register on each platform, printed from ``SITE_URL`` (``manage.py platform_setup``).

Each platform's ``platforms/<key>/manifest.py`` has ``registration(site_url) -> list[Line]``:
the exact redirect URIs, scopes and event URLs to enter on the platform's developer pages.
Slack and Teams also generate an importable manifest (``manifest(...)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

# key -> "module:function"; explicit, like platforms.registry.ADAPTERS.
REGISTRATIONS: dict[str, str] = {
    "slack": "platforms.slack.manifest:registration",
    "teams": "platforms.teams.manifest:registration",
    "zoom": "platforms.zoom.manifest:registration",
    "webex": "platforms.webex.manifest:registration",
}


@dataclass(frozen=True)
class Line:
    where: str  # the platform's page and field
    value: str  # exactly what to enter


def registration(key: str) -> Callable[[str], list[Line]]:
    module, name = REGISTRATIONS[key].split(":")
    return getattr(import_module(module), name)


def callback(site_url: str) -> str:
    """The one OAuth redirect URI of people's re-sync sign-ins, on every platform."""
    return f"{site_url.rstrip('/')}/resync/callback/"
