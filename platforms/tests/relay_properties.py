"""Property checks of ``classify_relay_error``: any JSON a relay forwards is classified.

The relay forwards the platform's raw error as it saw it (``POST /api/relay-failures/``), so the
body can be any JSON value: the documented envelope, a truncated one, or something else
entirely. Each platform's tests run ``check_any_body`` under hypothesis with ``json_bodies()``.
Field names the adapters read are drawn often, so wrongly-typed known fields (``error_codes``
as a number, ``response_metadata`` as a string, ...) come up in every run.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from platforms.base import PlatformAdapter
from platforms.errors import Evidence, PlatformError
from tokens.situations import CATALOGUE, Situation

# Every field any adapter reads in an error body (Entra, Graph, Bot Framework, Slack, Zoom, Webex).
KNOWN_FIELDS = [
    "ok",
    "error",
    "error_codes",
    "suberror",
    "error_description",
    "correlation_id",
    "trace_id",
    "timestamp",
    "code",
    "message",
    "innerError",
    "response_metadata",
    "messages",
    "needed",
    "provided",
    "errorCode",
    "errorMessage",
    "reason",
    "errors",
    "description",
    "trackingId",
    "trackingID",
]

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities too: Python's json.loads accepts them
    | st.text(max_size=20)
    | st.sampled_from(["70000", "50076", "²", "invalid_grant", "account_inactive", "124"])
)
_keys = st.sampled_from(KNOWN_FIELDS) | st.text(max_size=10)

json_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_keys, children, max_size=5),
    max_leaves=25,
)


def json_bodies() -> st.SearchStrategy[Any]:
    """A body as the relay may send it: a JSON value, or the platform's answer as text."""
    return json_values | json_values.map(json.dumps) | st.text(max_size=40)


statuses = st.none() | st.integers(min_value=100, max_value=599)


def check_any_body(adapter: PlatformAdapter, status: int | None, body: Any) -> PlatformError:
    """Classify ``body``; assert the result is a well-formed, storable, classified error."""
    error = adapter.classify_relay_error(status, body)

    assert isinstance(error, PlatformError)
    assert isinstance(error.situation, Situation)
    assert error.situation.value in CATALOGUE
    evidence = error.evidence
    assert evidence.platform == adapter.key
    assert evidence.endpoint == "relay"
    assert evidence.http_status == status
    for name in ("error", "suberror", "description", "correlation_id", "trace_id", "timestamp"):
        assert isinstance(getattr(evidence, name), str), name
    assert all(isinstance(code, str) for code in evidence.error_codes)
    json.dumps(evidence.as_dict())  # it is stored in a JSON column
    if isinstance(body, dict | list):
        # The raw evidence is what the relay forwarded, whatever its shape.
        assert evidence.raw == Evidence.clip(json.dumps(body, default=str))
    if not isinstance(body, dict | str):
        # A shape no platform sends carries no meaning: it is read like an empty body.
        assert error.situation == adapter.classify_relay_error(status, {}).situation
    return error
