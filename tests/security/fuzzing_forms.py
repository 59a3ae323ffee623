"""Hypothesis strategies, continued: the re-sync pages, allauth's forms, the sandbox's APIs.

See ``tests.security.fuzzing`` for what "malformed" means and the building blocks.
"""

from __future__ import annotations

import string

from hypothesis import strategies as st

from platforms.registry import ADAPTERS
from tests.security.fuzzing import (
    Case,
    _form,
    _quote,
    broken,
    dumps,
    garbage,
    not_objects,
    not_strings,
    raw,
    scalars,
    unsigned_bodies,
)


# --- /resync/… --------------------------------------------------------------------------------
def resync_emails() -> st.SearchStrategy[Case]:
    emails = st.one_of(
        st.text(max_size=60).filter(lambda e: "@" not in e.strip()),
        st.text(min_size=250, max_size=300).map(lambda e: e + "@x.example"),
    )
    forms = emails.map(lambda e: Case(_form({"email": e}), "application/x-www-form-urlencoded"))
    return st.one_of(forms, raw(garbage, content_type="application/x-www-form-urlencoded"))


def resync_tokens(suffix: str) -> st.SearchStrategy[Case]:
    alphabet = string.ascii_letters + string.digits + ":-_.~%+=!$&'()*,;@"
    tokens = st.text(alphabet=alphabet, min_size=1, max_size=300).filter(
        lambda t: t not in ("callback", "fresh")
    )
    return st.builds(
        lambda token, body: Case(
            body, "application/x-www-form-urlencoded", path=f"/resync/{_quote(token)}/{suffix}"
        ),
        tokens,
        garbage,
    )


# --- allauth's forms --------------------------------------------------------------------------
def login_forms(username: str) -> st.SearchStrategy[Case]:
    fields = st.dictionaries(
        st.sampled_from(["login", "password", "remember", "next", "x"]),
        st.one_of(st.text(max_size=80), st.just(username)),
        max_size=4,
    )
    return st.one_of(
        fields.map(lambda d: Case(_form(d), "application/x-www-form-urlencoded")),
        raw(garbage, content_type="application/x-www-form-urlencoded"),
    )


def any_form(names: list[str]) -> st.SearchStrategy[Case]:
    fields = st.dictionaries(st.sampled_from([*names, "x"]), st.text(max_size=80), max_size=4)
    return st.one_of(
        fields.map(lambda d: Case(_form(d), "application/x-www-form-urlencoded")),
        raw(garbage, content_type="application/x-www-form-urlencoded"),
    )


# --- the sandbox control API ------------------------------------------------------------------
def sandbox_calls(call: str) -> st.SearchStrategy[Case]:
    bad_platform = st.one_of(not_strings, st.text(max_size=12).filter(lambda t: t not in ADAPTERS))
    ok = {
        "situation": {"platform": "slack", "user": "nobody@fuzz.example", "situation": None},
        "script": {"platform": "slack", "endpoint": "probe", "status": 200, "times": 1},
        "faults": {"platform": "slack", "error_rate": 0.0, "latency_ms": 0},
        "users": {"platform": "slack", "email": "someone@fuzz.example"},
        "event": {"platform": "slack", "event": "tokens_revoked", "user": "nobody@fuzz.example"},
        "reset": {},
    }[call]
    rules: list[st.SearchStrategy] = [broken(ok, "platform", bad_platform)] if ok else []
    if call == "situation":
        rules += [
            broken(ok, "situation", st.one_of(not_strings, st.text(max_size=20))).filter(
                lambda b: (
                    b["situation"] is not None
                    and (
                        not isinstance(b["situation"], str)
                        or b["situation"] not in _slack_situations()
                    )
                )
            ),
            broken(ok, "user", st.one_of(not_strings, st.text(max_size=30))),  # none exists
        ]
    elif call == "script":
        rules += [
            broken(ok, "endpoint", st.one_of(not_strings, st.text(max_size=12))).filter(
                lambda b: b["endpoint"] not in ("token", "probe", "send", "profile", "authorize")
            ),
            broken(
                ok,
                "status",
                st.one_of(
                    st.text(max_size=4),
                    st.floats(),
                    st.integers().filter(lambda n: not 100 <= n <= 599),
                ),
            ),
            broken(
                ok,
                "headers",
                st.one_of(st.text(min_size=1, max_size=5), st.lists(scalars, min_size=1)),
            ),
            broken(
                ok,
                "times",
                st.one_of(
                    st.text(max_size=4),
                    st.floats(),
                    st.integers().filter(lambda n: not 1 <= n <= 1_000_000),
                ),
            ),
            broken(
                ok,
                "user",
                st.one_of(st.integers(), st.text(max_size=20).filter(lambda u: "@" not in u and u)),
            ),
        ]
    elif call == "faults":
        rules += [
            broken(
                ok,
                "error_rate",
                st.one_of(
                    st.text(max_size=4), st.none(), st.floats().filter(lambda r: not 0 <= r <= 1)
                ),
            ),
            broken(
                ok,
                "latency_ms",
                st.one_of(
                    st.text(max_size=4),
                    st.floats(),
                    st.integers().filter(lambda n: not 0 <= n <= 60_000),
                ),
            ),
        ]
    elif call == "users":
        rules += [
            broken(
                ok,
                "email",
                st.one_of(not_strings, st.text(max_size=30).filter(lambda e: "@" not in e)),
            )
        ]
    elif call == "event":
        rules += [
            broken(ok, "event", st.one_of(not_strings, st.text(max_size=20))).filter(
                lambda b: (
                    b["event"] not in ("tokens_revoked", "app_uninstalled", "user_change_deleted")
                )
            ),
            broken(ok, "user", st.one_of(not_strings, st.text(max_size=30))),  # none exists
        ]
    bodies = [raw(garbage), raw(not_objects.map(dumps))]
    if rules:
        bodies.append(raw(st.one_of(*rules).map(dumps)))
    return st.one_of(*bodies)


# --- the fake platforms' own endpoints --------------------------------------------------------
def fake_calls() -> st.SearchStrategy[Case]:
    forms = st.dictionaries(st.text(max_size=15), st.text(max_size=60), max_size=5).map(
        lambda d: Case(_form(d), "application/x-www-form-urlencoded")
    )
    bearer = st.text(alphabet=string.ascii_letters + string.digits + "-_.", max_size=40)
    return st.one_of(
        raw(unsigned_bodies()),
        forms,
        st.builds(
            lambda body, token: Case(body, headers={"HTTP_AUTHORIZATION": f"Bearer {token}"}),
            unsigned_bodies(),
            bearer,
        ),
    )


def _slack_situations() -> set[str]:
    from platforms.sandbox.registry import get_fake

    return set(get_fake("slack").situations)
