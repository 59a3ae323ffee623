"""Shared checks for the Teams tests."""

from __future__ import annotations

import functools
from typing import Any

from jsonschema import Draft6Validator

from platforms.schemas import adaptive_card_schema


@functools.cache
def card_validator() -> Draft6Validator:
    schema = adaptive_card_schema("1.5")
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema)


def validate_card(card: dict[str, Any]) -> None:
    errors = sorted(card_validator().iter_errors(card), key=lambda e: list(e.path))
    assert not errors, "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    assert card["version"] == "1.5"


def validate_activity(activity: dict[str, Any]) -> None:
    """A Bot Framework message activity whose attachment is a valid Adaptive Card 1.5."""
    assert activity["type"] == "message"
    attachments = activity["attachments"]
    assert len(attachments) == 1
    assert attachments[0]["contentType"] == "application/vnd.microsoft.card.adaptive"
    validate_card(attachments[0]["content"])
