"""Evidence is storable whatever a platform said; Retry-After is a wait a schedule can hold."""

from __future__ import annotations

import json

import pytest

from platforms.errors import MAX_RETRY_AFTER, Evidence, parse_retry_after


def test_it_stores_no_nul_character_from_a_raw_body() -> None:
    evidence = Evidence(
        platform="slack",
        endpoint="relay",
        error="bad\x00code",
        error_codes=["a\x00"],
        raw=Evidence.clip('{"error": "\x00"}'),
    )
    stored = json.dumps(evidence.as_dict())
    # PostgreSQL's jsonb refuses the escape for U+0000 ("unsupported Unicode escape sequence").
    assert "\\u0000" not in stored
    assert evidence.as_dict()["error"] == "bad\ufffdcode"
    assert evidence.as_dict()["error_codes"] == ["a\ufffd"]


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("30", 30.0),
        ("-5", 0.0),
        ("999999999999", MAX_RETRY_AFTER),
        ("inf", None),
        ("nan", None),
        ("1e400", None),
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER),
        ("soon", None),
        ("", None),
    ],
)
def test_it_reads_retry_after_within_bounds(header: str, expected: float | None) -> None:
    assert parse_retry_after(header) == expected
