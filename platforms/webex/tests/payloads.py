"""Checks shared by the Webex tests: what a valid Webex message body is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA = json.loads(Path("/work/shared/schemas/adaptive-card-1.3.json").read_text())


def validate_card_payload(payload: dict[str, Any]) -> None:
    """A Webex message body: a markdown fallback and exactly one Adaptive Card 1.3."""
    assert isinstance(payload.get("markdown"), str)
    assert payload["markdown"]
    attachments = payload["attachments"]
    assert len(attachments) == 1
    assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachments[0]["content"]
    assert card["version"] == "1.3"
    jsonschema.Draft6Validator(SCHEMA).validate(card)
