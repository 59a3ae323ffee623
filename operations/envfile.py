"""The deployment's env file: what it must hold, reading it, and writing a fresh one.

The format is systemd's ``EnvironmentFile`` subset: ``KEY=value`` lines, ``#`` comments, a value
optionally in single or double quotes. ``manage.py init_deploy`` writes it (mode 0600);
``scripts/serve`` (``python -m operations.serve``) and the systemd units read it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

# Without these the process must not start (settings.py refuses most of them too, but later
# and one at a time: the launcher names them all at once).
REQUIRED = (
    "DEBUG",
    "SECRET_KEY",
    "TOKEN_ENCRYPTION_KEYS",
    "SITE_URL",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
)
# A platform is used when its first variable is set; then all of its variables are needed.
PLATFORM_VARIABLES = {
    "slack": ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_SIGNING_SECRET"),
    "teams": (
        "MICROSOFT_CLIENT_ID",
        "MICROSOFT_CLIENT_SECRET",
        "TEAMS_BOT_APP_ID",
        "TEAMS_BOT_APP_SECRET",
        "GRAPH_CLIENT_STATE",
    ),
    "zoom": ("ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET", "ZOOM_WEBHOOK_SECRET", "ZOOM_BOT_JID"),
    "webex": ("WEBEX_CLIENT_ID", "WEBEX_CLIENT_SECRET", "WEBEX_BOT_TOKEN"),
}
# Recommended: the process starts without them, but the operator should decide.
RECOMMENDED = ("OPERATOR_EMAILS", "EMAIL_URL", "DEFAULT_FROM_EMAIL", "METRICS_TOKEN")


def parse(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        key = key.strip().removeprefix("export ").strip()
        if not sep or not key.replace("_", "").isalnum():
            raise ValueError(f"line {number}: expected KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def read(path: Path) -> dict[str, str]:
    return parse(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Gaps:
    missing: list[str]  # the process must not start
    platforms_incomplete: dict[str, list[str]]  # a platform half-configured: must not start
    platforms_unused: list[str]
    recommended: list[str]

    @property
    def fatal(self) -> bool:
        return bool(self.missing or self.platforms_incomplete)


def gaps(values: dict[str, str]) -> Gaps:
    missing = [key for key in REQUIRED if not values.get(key)]
    if values.get("DEBUG", "").lower() not in ("off", "false", "0", "no", ""):
        missing.append("DEBUG (must be off)")
    incomplete, unused = {}, []
    for platform, keys in PLATFORM_VARIABLES.items():
        if not values.get(keys[0]):
            unused.append(platform)
            continue
        lacking = [key for key in keys if not values.get(key)]
        if lacking:
            incomplete[platform] = lacking
    if len(unused) == len(PLATFORM_VARIABLES):
        missing.append("the variables of at least one platform")
    recommended = [key for key in RECOMMENDED if not values.get(key)]
    return Gaps(missing, incomplete, unused, recommended)


def fresh(site_url: str, database_url: str) -> str:
    """A new env file's text: fresh secrets, the operator's values, blanks to fill in."""
    from cryptography.fernet import Fernet

    from mio_heal.secrets import make_django_secret

    host = site_url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    lines = [
        "# Mio Auto Heal: production environment (written by `manage.py init_deploy`).",
        "# Keep it secret (mode 0600). docs/operations.md explains every variable.",
        "DEBUG=off",
        f"SECRET_KEY={make_django_secret()}",
        "# Newest first; add old keys after a comma when rotating (docs/operations.md).",
        f"TOKEN_ENCRYPTION_KEYS={Fernet.generate_key().decode()}",
        f"SITE_URL={site_url}",
        f"ALLOWED_HOSTS={host}",
        f"DATABASE_URL={database_url}",
        "BEHIND_TLS_PROXY=on",
        "STATIC_MANIFEST=on",
        "DB_POOL=on",
        f"METRICS_TOKEN={secrets.token_urlsafe(32)}",
        "",
        "# Operator alerts (late background work, broken app settings) and the email channel.",
        "OPERATOR_EMAILS=",
        "EMAIL_URL=",
        "DEFAULT_FROM_EMAIL=",
        "# Several machines: Q_REDIS_URL=redis://…  CACHE_URL=redis://…",
        "",
        "# Platforms: fill in those you use (`manage.py platform_setup` prints what to",
        "# register); leave a platform's block empty to leave it off.",
    ]
    for keys in PLATFORM_VARIABLES.values():
        lines += [f"{key}=" for key in keys]
    return "\n".join(lines) + "\n"
