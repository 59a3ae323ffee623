"""Error tables and the outcome of talking to a platform.

Each platform maps its *codes* (never message text) to situations in an ``ErrorTable`` whose
rows link the vendor's documentation, and raises ``PlatformError`` carrying full ``Evidence``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from tokens.situations import CATALOGUE, Situation

RAW_LIMIT = 4000  # bytes of the raw body kept as evidence


@dataclass(frozen=True)
class ErrorRule:
    code: str
    situation: Situation
    doc: str  # the vendor's page that documents this code


class ErrorTable:
    def __init__(self, rules: list[ErrorRule]) -> None:
        self.rules = {rule.code: rule for rule in rules}

    def lookup(self, *codes: str | int | None) -> Situation | None:
        """The situation of the first code that the table knows."""
        for code in codes:
            if code is None:
                continue
            rule = self.rules.get(str(code))
            if rule is not None:
                return rule.situation
        return None


@dataclass
class Evidence:
    """What the platform said, kept so an admin can find it in the platform's own logs."""

    platform: str
    endpoint: str  # "token", "probe", "send", "relay", …
    http_status: int | None = None
    error: str = ""  # the primary error field (OAuth `error`, Slack `error`, Zoom `code`, …)
    error_codes: list[str] = field(default_factory=list)  # e.g. ["53003"] for AADSTS53003
    suberror: str = ""
    description: str = ""
    correlation_id: str = ""
    trace_id: str = ""
    timestamp: str = ""  # the platform's own timestamp, when it gives one
    observed_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    retry_after: float | None = None
    raw: str = ""  # the raw body, truncated and redacted

    def as_dict(self) -> dict[str, Any]:
        # Stored in JSON columns: PostgreSQL's jsonb cannot hold U+0000, which a platform's or a
        # relay's raw body may carry; it is shown as U+FFFD instead of failing the write.
        return {key: _storable(value) for key, value in asdict(self).items()}

    @staticmethod
    def clip(body: str) -> str:
        from mio_heal.logging import redact

        return redact(body[:RAW_LIMIT])


class PlatformError(Exception):
    """A classified failure. ``transient`` errors are retried; the rest need someone."""

    def __init__(self, situation: Situation, evidence: Evidence) -> None:
        self.situation = Situation(situation)
        self.evidence = evidence
        super().__init__(f"{evidence.platform} {evidence.endpoint}: {self.situation.value}")

    @property
    def transient(self) -> bool:
        return self.situation == Situation.TRANSIENT

    @property
    def permanent(self) -> bool:
        return CATALOGUE[self.situation.value].audience is not None


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, list):
        return [_storable(item) for item in value]
    return value


MAX_RETRY_AFTER = 24 * 3600.0  # seconds; a longer (or infinite) wait is not a plausible ask


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (a number or an HTTP date), within ``0..MAX_RETRY_AFTER``."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return None
    if not math.isfinite(seconds):
        # "inf", "nan" and "1e400" parse as floats; none is a wait a schedule can hold.
        return None
    return min(max(0.0, seconds), MAX_RETRY_AFTER)
