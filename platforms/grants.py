"""Reading a token answer the platform has already honoured, however damaged it arrived.

A refresh that succeeded at the platform is the only copy of the new tokens: Slack (with
rotation), Zoom and Entra void or replace the old refresh token as they answer. So a 2xx answer
from a token endpoint is never "unknown, try again": it is read as far as it can be
(``salvage_grant``), and when nothing usable is in it, the adapter raises ``UnreadableGrant`` and
the health engine (``tokens.redemption``) keeps the credential with the operator instead of
asking the user for a sign-in Mio itself lost.

``witness()`` lets the engine see the raw 2xx answers of the token calls an adapter makes through
the project's HTTP path (``platforms.http.session_for``), so an adapter that fails on such an
answer without raising ``UnreadableGrant`` still loses nothing.

The field names are OAuth 2.0's (RFC 6749 section 5.1: ``access_token``, ``refresh_token``,
``expires_in``, ``scope``), which every platform here uses at the top level of its refresh
answer (Slack's ``oauth.v2.access`` refresh answer included, as slack-sdk's ``TokenRotator``
reads it: slackapi/python-slack-sdk, slack_sdk/oauth/token_rotation/rotator.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from platforms.errors import Evidence, PlatformError
from tokens.situations import Situation

TOKEN_KEYS = ("access_token", "refresh_token")
NUMBER_KEYS = ("expires_in", "refresh_token_expires_in")
TEXT_KEYS = ("scope", "token_type")
# Where a grant may sit one level down (Slack's code exchange puts the user's in ``authed_user``).
NESTED = ("authed_user",)


def _string_pair(key: str) -> re.Pattern[str]:
    # A whole JSON string value: its closing quote must be there (a cut-off token is no token).
    return re.compile(rf'"{key}"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _number_pair(key: str) -> re.Pattern[str]:
    # A number followed by something that ends it (a cut-off "expires_in": 43 is not 43200).
    return re.compile(rf'"{key}"\s*:\s*"?(\d+)"?\s*[,}}\s]')


_STRINGS = {key: _string_pair(key) for key in (*TOKEN_KEYS, *TEXT_KEYS)}
_NUMBERS = {key: _number_pair(key) for key in NUMBER_KEYS}


def salvage_grant(text: str) -> dict[str, Any]:
    """What of a grant ``text`` holds: ``access_token``, ``refresh_token`` (whole strings only),
    ``expires_in``, ``refresh_token_expires_in`` (ints), ``scope``, ``token_type``.

    A whole JSON object is read as JSON (its top level first, then ``authed_user``); a truncated
    or malformed one is scanned for complete ``"key": value`` pairs; a form-encoded answer is
    read as a form. Keys that are not found are left out: ``{}`` means nothing usable.
    """
    text = text if isinstance(text, str) else ""
    whole = _as_json(text)
    if isinstance(whole, dict):
        return _from_mapping(whole)
    if "{" not in text and "=" in text:
        return _from_mapping(dict(parse_qsl(text.strip())))
    found: dict[str, Any] = {}
    for key, pattern in _STRINGS.items():
        match = pattern.search(text)
        if match:
            value = _unescape(match.group(1))
            if value:
                found[key] = value
    for key, pattern in _NUMBERS.items():
        match = pattern.search(text)
        if match:
            found[key] = int(match.group(1))
    return found


def has_tokens(salvaged: dict[str, Any]) -> bool:
    return any(salvaged.get(key) for key in TOKEN_KEYS)


def is_whole_json(text: str) -> bool:
    """Whether ``text`` is complete JSON (an answer the adapter read whole, if it refused it)."""
    return _as_json(text) is not None


def _from_mapping(data: dict[str, Any]) -> dict[str, Any]:
    holders = [data] + [data[k] for k in NESTED if isinstance(data.get(k), dict)]
    found: dict[str, Any] = {}
    for holder in holders:
        if not any(isinstance(holder.get(k), str) and holder.get(k) for k in TOKEN_KEYS):
            continue
        for key in (*TOKEN_KEYS, *TEXT_KEYS):
            if isinstance(holder.get(key), str) and holder[key]:
                found.setdefault(key, holder[key])
        for key in NUMBER_KEYS:
            number = _int(holder.get(key))
            if number is not None:
                found.setdefault(key, number)
    return found


def _as_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _unescape(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return ""
    return value if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


# --- masking -------------------------------------------------------------------------------------
# The value of any secret-looking key, whole or cut off ("refresh_token":"abc… with no end).
_KEYED_VALUE = re.compile(r'("([^"]*)"\s*:\s*")((?:[^"\\]|\\.)*)("?)')
_SECRET_KEY = re.compile(r"(?i)(token|secret|password|assertion|^code$)")
_HARMLESS_KEYS = frozenset({"token_type"})


def _is_secret_key(key: str) -> bool:
    return key.lower() not in _HARMLESS_KEYS and bool(_SECRET_KEY.search(key))


# Any long opaque run (a token under a key we did not foresee, a JWT, a bearer value, a Slack
# xox token): mio_heal.logging's patterns would find these too, but would also eat the lengths.
_OPAQUE = re.compile(r"[A-Za-z0-9._~+/=-]{20,}")


def mask(text: str, limit: int = 2000) -> str:
    """``text`` with every secret value replaced by its length: evidence, never a token."""
    text = (text or "")[: limit * 2]
    text = _KEYED_VALUE.sub(
        lambda m: (
            f"{m.group(1)}[masked {len(m.group(3))} chars]{m.group(4)}"
            if _is_secret_key(m.group(2))
            else m.group(0)
        ),
        text,
    )
    text = _OPAQUE.sub(lambda m: f"[masked {len(m.group(0))} chars]", text)
    return text[:limit]


# --- an answer nobody can read -------------------------------------------------------------------
class UnreadableGrant(PlatformError):
    """A token endpoint answered 2xx (the redemption happened) but the answer cannot be read.

    Adapters raise it where they would otherwise report a malformed answer; ``text`` is the raw
    answer, kept in memory only (the evidence holds a masked copy). The engine salvages what it
    can (``salvage_grant``) and otherwise keeps the credential with the operator.
    """

    def __init__(
        self,
        platform: str,
        text: str,
        *,
        status: int | None = 200,
        endpoint: str = "token",
        why: str = "",
    ) -> None:
        self.text = text if isinstance(text, str) else ""
        super().__init__(
            Situation.OPERATOR_CONFIG,
            unreadable_evidence(platform, self.text, status, endpoint, why),
        )


def unreadable_evidence(
    platform: str, text: str, status: int | None, endpoint: str = "token", why: str = ""
) -> Evidence:
    detail = f" ({why})" if why else ""
    return Evidence(
        platform=platform,
        endpoint=endpoint,
        http_status=status,
        error="unreadable_grant",
        description=(
            f"The platform honoured a refresh (HTTP {status}) but its answer could not be "
            f"read{detail}; it has {len(text)} characters. The old refresh token may now be "
            "spent: Mio keeps this account with the operator and asks no user to sign in."
        ),
        raw=mask(text),
    )


# --- seeing the raw answers of token calls -------------------------------------------------------
@dataclass
class Witness:
    """The 2xx answers to POSTs made while a redemption runs (token endpoints are POSTs)."""

    answers: list[tuple[int, str]] = field(default_factory=list)

    def last(self) -> tuple[int, str] | None:
        return self.answers[-1] if self.answers else None


_witness: ContextVar[Witness | None] = ContextVar("mio_grant_witness", default=None)


@contextmanager
def witness() -> Iterator[Witness]:
    """Collect the raw 2xx POST answers this thread receives until the block ends."""
    seen = Witness()
    token = _witness.set(seen)
    try:
        yield seen
    finally:
        _witness.reset(token)


def saw(status: int, text: str) -> None:
    """Hand a raw token answer to the running witness (HTTP paths other than requests call it)."""
    seen = _witness.get()
    if seen is not None and 200 <= status < 300:
        seen.answers.append((status, text))


def requests_hook(response: Any, *args: Any, **kwargs: Any) -> Any:
    """A requests response hook (``session_for`` installs it): feeds the running witness."""
    if _witness.get() is not None and getattr(response.request, "method", "") == "POST":
        saw(response.status_code, response.text)
    return response
