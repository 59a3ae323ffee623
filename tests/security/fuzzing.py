"""Hypothesis strategies: malformed requests for each public POST endpoint (the relay API and
the webhooks here; the re-sync pages, allauth's forms and the sandbox in ``fuzzing_forms``).

Each strategy draws a ``Case``: the body, its content type, extra headers (a signature, a key)
and the path. "Malformed" is per the endpoint's own contract (its module docstring): every
drawn case breaks at least one rule of it — garbage bytes, JSON that is not an object, a field
of the wrong type or out of range, a required field missing, an unknown value, a signature
that does not match — so the endpoint must refuse it. Cases an endpoint may acknowledge by
design (a correctly signed, well-formed event it does not use) are not drawn as malformed.
"""

from __future__ import annotations

import json
import string
import time
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from platforms.registry import ADAPTERS
from tests.security.helpers import graph_state, slack_headers, zoom_headers


@dataclass
class Case:
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # replaces the target's path (malformed path parameters)
    query: str = ""


# --- building blocks --------------------------------------------------------------------------
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
not_strings = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), scalars, max_size=3),
)
not_objects = json_values.filter(lambda v: not isinstance(v, dict))
garbage = st.binary(max_size=600)


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()


def raw(body: st.SearchStrategy[bytes], **kw: Any) -> st.SearchStrategy[Case]:
    return body.map(lambda b: Case(b, **kw))


def broken(base: dict[str, Any], key: str, values: st.SearchStrategy) -> st.SearchStrategy:
    """``base`` with ``key`` set to one of ``values`` (a rule of the contract broken)."""
    return values.map(lambda v: {**base, key: v})


def without(base: dict[str, Any], *keys: str) -> st.SearchStrategy:
    return st.sampled_from(keys).map(lambda k: {n: v for n, v in base.items() if n != k})


def unsigned_bodies() -> st.SearchStrategy[bytes]:
    return st.one_of(garbage, json_values.map(dumps))


# --- /api/relay-failures/ ---------------------------------------------------------------------
def relay_reports(known_users: set[str]) -> st.SearchStrategy[Case]:
    ok = {"platform": "slack", "user": "someone", "status": 401, "body": {"ok": False}}
    unknown_user = (
        st.text(alphabet=string.ascii_letters + string.digits + "@.-_", min_size=1, max_size=60)
        .filter(lambda u: u.strip() and u.strip() not in known_users)
        .map(lambda u: {**ok, "user": u})
    )
    reports = st.one_of(
        broken(
            ok,
            "platform",
            st.one_of(not_strings, st.text().filter(lambda t: t not in ADAPTERS)),
        ),
        broken(ok, "user", st.one_of(not_strings, st.text(alphabet=" \t\n", max_size=5))),
        broken(ok, "user", st.text(min_size=255, max_size=300).filter(lambda u: len(u) > 254)),
        broken(
            ok,
            "status",
            st.one_of(
                st.booleans(),
                st.text(max_size=5),
                st.floats(),
                st.integers().filter(lambda n: not 100 <= n <= 599),
            ),
        ),
        broken(ok, "body", st.one_of(st.integers(), st.floats(), st.booleans())),
        without(ok, "platform", "user", "body"),
        unknown_user,  # well formed, but no such account in the key's tenant: 404
        st.dictionaries(st.text(max_size=10), json_values, max_size=5).filter(
            lambda d: (
                not isinstance(d.get("platform"), list | dict) and d.get("platform") not in ADAPTERS
            )
        ),
    )
    return st.one_of(raw(garbage), raw(not_objects.map(dumps)), raw(reports.map(dumps)))


def relay_without_key() -> st.SearchStrategy[Case]:
    headers = st.one_of(
        st.just({}),
        st.text(max_size=80).map(lambda t: {"HTTP_AUTHORIZATION": t}),
        st.text(alphabet=string.ascii_letters + string.digits + "_-", max_size=60).map(
            lambda t: {"HTTP_AUTHORIZATION": f"Bearer mio_relay_{t}"}
        ),
    )
    return st.builds(
        lambda body, h: Case(body, headers=h),
        st.one_of(garbage, json_values.map(dumps)),
        headers.filter(lambda h: all("\n" not in v and "\r" not in v for v in h.values())),
    )


# --- /hooks/slack/events/ ---------------------------------------------------------------------
def slack_unsigned() -> st.SearchStrategy[Case]:
    stamps = st.one_of(st.text(max_size=20), st.integers().map(str))
    # A well-formed signature header with any bytes reaches the signature check (a body that
    # is not UTF-8 was a 500 there once: test_hostile_values.py).
    well_formed = st.builds(
        lambda body, stamp, digest: Case(
            body,
            headers={
                # "now": a fresh timestamp, so the request gets past the replay window
                "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(int(time.time()))
                if stamp == "now"
                else stamp,
                "HTTP_X_SLACK_SIGNATURE": "v0=" + digest,
            },
        ),
        unsigned_bodies(),
        st.one_of(stamps, st.just("now")),
        st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    )
    anything = st.builds(
        lambda body, stamp, signature: Case(
            body,
            headers={
                "HTTP_X_SLACK_REQUEST_TIMESTAMP": stamp,
                "HTTP_X_SLACK_SIGNATURE": signature,
            },
        ),
        unsigned_bodies(),
        stamps,
        st.text(max_size=80),
    )
    return st.one_of(raw(unsigned_bodies()), well_formed, anything).filter(_headers_ok)


def slack_signed(user: str) -> st.SearchStrategy[Case]:
    event = {
        "type": "event_callback",
        "team_id": "T-NOBODY",
        "event_id": "Ev-FUZZ",
        "event": {"type": "tokens_revoked", "tokens": {"oauth": [user], "bot": []}},
    }
    inner = event["event"]
    bodies = st.one_of(
        st.text(max_size=300).filter(lambda t: not _json_object(t)),
        not_objects.map(lambda v: json.dumps(v)),
        broken(event, "event", not_strings.filter(lambda v: not isinstance(v, dict))).map(
            json.dumps
        ),
        broken(event, "event", st.just({"type": 7})).map(json.dumps),
        broken(event, "event_id", not_strings.filter(lambda v: v is not None)).map(json.dumps),
        without(event, "event_id", "event").map(json.dumps),
        broken(event, "team_id", not_strings.filter(lambda v: v is not None)).map(json.dumps),
        broken(
            event,
            "event",
            broken(inner, "tokens", not_strings.filter(lambda v: not isinstance(v, dict))),
        ).map(json.dumps),
        broken(
            event,
            "event",
            broken(
                inner,
                "tokens",
                st.builds(
                    lambda bad: {"oauth": bad},
                    not_strings.filter(
                        lambda v: (
                            v is not None
                            and not (isinstance(v, list) and all(isinstance(i, str) for i in v))
                        )
                    ),
                ),
            ),
        ).map(json.dumps),
        st.just(json.dumps({**event, "team_id": None, "event": {"type": "app_uninstalled"}})),
        broken(
            event,
            "event",
            st.builds(
                lambda u: {"type": "user_change", "user": u},
                not_strings.filter(lambda u: not (isinstance(u, dict) and "id" in u)),
            ),
        ).map(json.dumps),
        st.just(json.dumps({"type": "url_verification", "challenge": ""})),
        broken({"type": "url_verification"}, "challenge", not_strings).map(json.dumps),
    )
    return bodies.map(lambda b: Case(b.encode(), headers=slack_headers(b)))


# --- /hooks/zoom/events/ ----------------------------------------------------------------------
def zoom_unsigned() -> st.SearchStrategy[Case]:
    event = {"event": "app_deauthorized", "payload": {"account_id": "A", "user_id": "U"}}
    return st.builds(
        lambda body, stamp, signature: Case(
            body,
            headers={"HTTP_X_ZM_REQUEST_TIMESTAMP": stamp, "HTTP_X_ZM_SIGNATURE": signature},
        ),
        st.one_of(unsigned_bodies(), st.just(dumps(event))),
        st.one_of(st.text(max_size=20), st.integers().map(str)),
        st.one_of(
            st.text(max_size=80),
            st.text(alphabet="0123456789abcdef", min_size=64, max_size=64).map(lambda d: "v0=" + d),
        ),
    ).filter(_headers_ok)


def zoom_signed() -> st.SearchStrategy[Case]:
    payload = {"account_id": "ACCOUNT-NOBODY", "user_id": "USER-NOBODY"}
    event = {"event": "app_deauthorized", "payload": payload}
    bodies = st.one_of(
        st.text(max_size=300).filter(lambda t: not _json_object(t)),
        not_objects.map(json.dumps),
        broken(event, "event", not_strings).map(json.dumps),
        broken(
            event,
            "payload",
            st.one_of(
                broken(payload, "account_id", st.one_of(not_strings, st.just(""))),
                broken(payload, "user_id", st.one_of(not_strings, st.just(""))),
                without(payload, "account_id", "user_id"),
            ),
        ).map(json.dumps),
        broken(event, "payload", not_strings.filter(lambda v: not isinstance(v, dict))).map(
            json.dumps
        ),
        st.builds(
            lambda token: json.dumps(
                {"event": "endpoint.url_validation", "payload": {"plainToken": token}}
            ),
            st.one_of(
                not_strings,
                st.text(max_size=120).filter(lambda t: not _plain_token(t)),
            ),
        ),
    )
    return bodies.map(lambda b: Case(b.encode(), headers=zoom_headers(b)))


# --- /hooks/graph/lifecycle/ ------------------------------------------------------------------
def graph_notifications() -> st.SearchStrategy[Case]:
    item = {
        "subscriptionId": "0f6a1a8e-1111-4222-8333-944455556666",
        "tenantId": "5a0b3c1d-2e3f-4a5b-8c6d-7e8f9a0b1c2d",
        "clientState": graph_state(),
        "lifecycleEvent": "reauthorizationRequired",
    }
    items = st.one_of(
        broken(item, "clientState", st.one_of(not_strings, st.text(max_size=40))).filter(
            lambda i: i["clientState"] != graph_state()
        ),
        without(item, "clientState", "lifecycleEvent"),
        broken(item, "lifecycleEvent", st.one_of(not_strings, st.just(""))),
        broken(item, "tenantId", st.one_of(not_strings, st.text(max_size=40))).filter(
            lambda i: not _guid(i["tenantId"])
        ),
        not_strings.filter(lambda v: not isinstance(v, dict)),
    )
    bodies = st.one_of(
        st.text(max_size=300).filter(lambda t: not _json_object(t)).map(str.encode),
        garbage,
        not_objects.map(dumps),
        st.dictionaries(st.text(max_size=8), json_values, max_size=3)
        .filter(lambda d: not isinstance(d.get("value"), list) or not d["value"])
        .map(dumps),
        st.lists(items, min_size=1, max_size=3).map(lambda v: dumps({"value": v})),
        # One good item does not carry a bad one.
        items.map(lambda bad: dumps({"value": [item, bad]})),
    )
    tokens = st.one_of(st.just(""), st.text(min_size=1025, max_size=1100))
    return st.one_of(
        raw(bodies),
        tokens.map(lambda t: Case(b"", query="validationToken=" + _quote(t))),
    )


# --- helpers ----------------------------------------------------------------------------------
def _form(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _plain_token(value: Any) -> bool:
    import re

    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value) is not None


def _guid(value: Any) -> bool:
    import re

    return isinstance(value, str) and bool(
        re.fullmatch(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", value)
    )


def _headers_ok(case: Case) -> bool:
    """HTTP header values cannot hold line breaks (the test client would refuse them)."""
    return all("\n" not in v and "\r" not in v for v in case.headers.values())
