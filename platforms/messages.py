"""The neutral message: ``notifications`` decides what to say, each platform how it looks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Action:
    label: str
    url: str
    primary: bool = True


@dataclass(frozen=True)
class Message:
    title: str
    text: str
    facts: list[tuple[str, str]] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    tone: Literal["info", "warning", "success"] = "info"
    # Stable per logical message: a platform that supports idempotent sends gets it, and the
    # sandbox records it, so a retried delivery is recognisable.
    idempotency_key: str = ""
