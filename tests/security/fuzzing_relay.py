"""Hypothesis strategies: malformed requests for the relay API v1 (``api/``).

``POST /api/v1/tokens/`` takes ``{platform, user}``; ``POST /api/v1/relay-events/`` takes
``{events: [1..100 of {platform, user, outcome, at?, status?, body?}]}``. Every case drawn here
breaks a rule of those contracts (or names no account of the key's tenant, for the token API),
so each must be refused with a 4xx and change nothing. A batch naming an unknown account is
well formed (it is answered per event), so it is not drawn.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from platforms.registry import ADAPTERS
from tests.security.fuzzing import (
    Case,
    broken,
    dumps,
    garbage,
    json_values,
    not_objects,
    not_strings,
    raw,
    without,
)

TOKEN = {"platform": "slack", "user": "someone"}
EVENT = {"platform": "slack", "user": "someone", "outcome": "error", "status": 401, "body": "{}"}
bad_platforms = st.one_of(not_strings, st.text(max_size=20).filter(lambda t: t not in ADAPTERS))
bad_users = st.one_of(
    not_strings,
    st.just(""),
    st.text(min_size=255, max_size=300).filter(lambda u: len(u) > 254),
    st.text(alphabet="\x00\x01\n\t\x7f", min_size=1, max_size=5),
)


def token_requests(known_users: set[str]) -> st.SearchStrategy[Case]:
    unknown = (
        st.text(alphabet=string.ascii_letters + string.digits + "@.-_", min_size=1, max_size=60)
        .filter(lambda u: u.strip() and u.strip() not in known_users)
        .map(lambda u: {**TOKEN, "user": u})
    )
    bodies = st.one_of(
        broken(TOKEN, "platform", bad_platforms),
        broken(TOKEN, "user", bad_users),
        without(TOKEN, "platform", "user"),
        unknown,  # well formed, but not an account of the key's tenant: 404
        not_objects,
    )
    return st.one_of(bodies.map(lambda b: Case(dumps(b))), raw(garbage))


def relay_event_batches() -> st.SearchStrategy[Case]:
    events = st.one_of(
        broken(EVENT, "platform", bad_platforms),
        broken(EVENT, "user", bad_users),
        broken(EVENT, "outcome", st.one_of(not_strings, st.text(max_size=10))),
        broken(
            EVENT,
            "status",
            st.one_of(
                st.booleans(),
                st.text(max_size=5),
                st.integers().filter(lambda n: not 100 <= n <= 599),
            ),
        ),
        broken(EVENT, "body", st.one_of(st.integers(), st.floats(), st.booleans())),
        # Not a timestamp (a number is one: seconds since the epoch, as JSON Schema allows).
        broken(
            EVENT,
            "at",
            st.one_of(
                st.text(alphabet="xyz:-", min_size=1, max_size=20),
                st.lists(st.integers(), max_size=2),
            ),
        ),
        without(EVENT, "platform", "user", "outcome"),
    )
    batches = st.one_of(
        events.map(lambda e: {"events": [e]}),
        st.just({"events": []}),
        st.just({"events": [EVENT] * 101}),
        broken({}, "events", json_values.filter(lambda v: not isinstance(v, list))),
        not_objects,
    )
    return st.one_of(batches.map(lambda b: Case(dumps(b))), raw(garbage))


def without_key() -> st.SearchStrategy[Case]:
    headers = st.one_of(
        st.just({}),
        st.text(alphabet=string.ascii_letters + " ", max_size=40).map(
            lambda t: {"HTTP_AUTHORIZATION": t}
        ),
        st.text(alphabet=string.ascii_letters + string.digits + "_-", max_size=60).map(
            lambda t: {"HTTP_AUTHORIZATION": f"Bearer mio_relay_{t}"}
        ),
    )
    return st.builds(
        lambda body, h: Case(body, headers=h), st.one_of(garbage, json_values.map(dumps)), headers
    )
