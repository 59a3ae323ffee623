"""Shapes shared by every resource of the relay API."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, Field

from tokens.models import CredentialState, PlatformAccount

PlatformKey = Literal["slack", "teams", "zoom", "webex"]
StateKey = Literal[tuple(CredentialState.values)]  # type: ignore[valid-type]


# Printable text only: a NUL cannot go into a PostgreSQL query or JSON column.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"


def aware(value: datetime | None) -> datetime | None:
    """In UTC; a timestamp sent without a zone is read as UTC. ``ValueError`` if out of range."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the timestamp is out of range") from None


# A timestamp query or body field: any ISO 8601 form, handled in UTC.
Timestamp = Annotated[datetime, AfterValidator(aware)]


class Error(Schema):
    error: str = Field(description="What was wrong, in a sentence.")


class RetryLater(Schema):
    error: str
    retry_after: int = Field(description="Seconds; also sent as the Retry-After header.")


class ValidationProblem(Schema):
    error: str
    detail: list[dict[str, Any]] = Field(description="Each problem: where (`loc`) and what.")


class AccountRef(Schema):
    id: int = Field(description="The account's id in Mio.")
    platform: PlatformKey
    user: str = Field(description="The platform's own user id.")
    email: str
    workspace: str = Field(description="Slack team, Entra tenant, Zoom account, Webex org.")


def account_ref(account: PlatformAccount) -> dict[str, Any]:
    return {
        "id": account.pk,
        "platform": account.platform,
        "user": account.upstream_user_id,
        "email": account.email or account.person.email,
        "workspace": account.workspace_id,
    }


# Every authenticated operation may answer these besides its own.
AUTH_ERRORS: dict[int, Any] = {
    400: Error,
    401: Error,
    403: Error,
    422: ValidationProblem,
    429: RetryLater,
}


class BadCursor(ValueError):
    pass


def encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[type, ...]) -> list[Any]:
    """The values of a cursor this API made, each of the kind expected; ``BadCursor`` if not."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadCursor("'cursor' is not one this API handed out") from None
    if not isinstance(values, list) or len(values) != len(kinds):
        raise BadCursor("'cursor' is not one this API handed out")
    out: list[Any] = []
    for value, kind in zip(values, kinds, strict=True):
        try:
            if kind is datetime:
                out.append(aware(datetime.fromisoformat(value)))
            elif kind is int and isinstance(value, int) and not isinstance(value, bool):
                out.append(value)
            else:
                raise TypeError
        except (TypeError, ValueError, OverflowError):
            raise BadCursor("'cursor' is not one this API handed out") from None
    return out
