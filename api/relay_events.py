"""``POST /api/v1/relay-events/``: the outcomes of the relay's sends, in batches.

- ``ok``: the send worked — evidence the account is healthy; the scheduled probe of an account
  used successfully within the check interval is skipped (``tokens.evidence``).
- ``error``: the platform's raw error, handled exactly like ``POST /api/relay-failures/``
  (``tokens.events.report_relay_failure``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field, model_validator

from api.keys import KeyAuth
from api.schemas import AUTH_ERRORS, PRINTABLE, PlatformKey, Timestamp
from tokens.events import find_account, report_relay_failure
from tokens.evidence import note_relay_success
from tokens.situations import audience_key

router = Router(tags=["relay events"], auth=KeyAuth("events:write"))

MAX_BATCH = 100
MAX_RAW = 64 * 1024


class RelayEvent(Schema):
    platform: PlatformKey
    user: str = Field(
        min_length=1, max_length=254, pattern=PRINTABLE, description="Upstream user id, or email."
    )
    outcome: Literal["ok", "error"]
    at: Timestamp | None = Field(None, description="When the send happened; default: now.")
    status: int | None = Field(
        None, ge=100, le=599, description="error: the platform's HTTP status; null: network."
    )
    body: str | dict[str, Any] | list[Any] | None = Field(
        None, description="error: the platform's raw error body, as text or its JSON."
    )

    @model_validator(mode="after")
    def _bounded(self) -> RelayEvent:
        if self.body is None:
            return self
        raw = self.body if isinstance(self.body, str) else json.dumps(self.body)
        if len(raw) > MAX_RAW:
            raise ValueError(f"'body' must be at most {MAX_RAW} characters")
        if "\x00" in raw or "\\u0000" in raw:
            raise ValueError("'body' must not contain NUL characters")
        return self


class RelayEvents(Schema):
    events: list[RelayEvent] = Field(min_length=1, max_length=MAX_BATCH)


class EventResult(Schema):
    index: int
    recorded: bool
    error: str | None = Field(None, description="Why this event was not recorded.")
    situation: str | None = None
    audience: str | None = None
    state: str | None = None


class EventResults(Schema):
    results: list[EventResult]


@router.post("/", response={202: EventResults, **AUTH_ERRORS}, summary="Report send outcomes")
def report_events(request: HttpRequest, batch: RelayEvents):
    tenant = request.relay_key.tenant  # type: ignore[attr-defined]
    now = timezone.now()
    results: list[dict[str, Any]] = []
    used: dict[int, datetime] = {}
    for index, event in enumerate(batch.events):
        user = event.user.strip()
        try:
            if event.outcome == "ok":
                account = find_account(tenant, event.platform, user)
                at = min(event.at or now, now)  # a clock ahead of ours vouches no further
                used[account.credential_id] = max(at, used.get(account.credential_id, at))
                results.append({"index": index, "recorded": True})
                continue
            check = report_relay_failure(tenant, event.platform, user, event.status, event.body)
        except LookupError:
            results.append({"index": index, "recorded": False, "error": "no such account"})
            continue
        results.append(
            {
                "index": index,
                "recorded": check is not None,
                "situation": (check.situation or None) if check else None,
                "audience": audience_key(check.situation) if check else None,
                "state": check.state_after if check else None,
            }
        )
    for credential_id, at in used.items():
        note_relay_success([credential_id], at)
    return Status(202, {"results": results})
