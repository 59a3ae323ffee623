"""Checks shared by the Webex tests: what a valid Webex message body is."""

from __future__ import annotations

from typing import Any

import jsonschema

from platforms.schemas import adaptive_card_schema

SCHEMA = adaptive_card_schema("1.3")


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
