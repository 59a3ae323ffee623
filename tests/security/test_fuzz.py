"""Every public POST endpoint, fuzzed with hypothesis: refused with a 4xx, never a 5xx, no change.

"Public" is found by walking the URL conf (``test_it_fuzzes_every_public_post_endpoint``): a
URL is public when an anonymous POST reaches its view, that is, when it neither answers 405
nor sends the visitor to a login page. Each is fuzzed below with malformed requests drawn by
``tests.security.fuzzing``; what must hold depends on what the endpoint is:

- ``refuse`` (the project's JSON and link endpoints: webhooks, the relay API, re-sync, the
  sandbox control API): a 4xx, with a message saying what was wrong (a JSON ``error``, or the
  problem page), and no row of any table changed;
- ``form`` (allauth's HTML forms): never a 5xx, nobody signed in, no row changed (a form
  answers a bad submission with itself and its errors, 200, as HTML forms do);
- ``flow`` (allauth's "Sign in with Microsoft" button): never a 5xx; it starts a sign-in with
  any body (the button posts none), so only the session table may change;
- ``fake`` (the platform fakes of the sandbox: they answer as the platforms do, e.g. Slack's
  errors are HTTP 200 ``{"ok": false}``): never a 5xx, no row changed.

``FUZZ_EXAMPLES`` (default 150) is the number of requests per target in the suite; the
full-size run (docs/reliability.md) sets it to 1,000.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.models import KeyUse
from dashboard.tests.factories import make_user
from tests.factories import make_account, make_person, make_tenant
from tests.security import fuzzing, fuzzing_forms, fuzzing_relay
from tests.security.helpers import USE_COUNT_TABLES, row_counts, snapshot
from tokens.models import RelayApiKey
from tokens.relaykeys import issue_relay_key

# Fuzzing exercises the views, not the database engine: scripts/test runs it in one half only.
pytestmark = pytest.mark.once

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "150"))
SESSIONS = {"django_session"}


@dataclass
class Target:
    route: str  # the URL pattern, as the walk below spells it
    path: str
    kind: str  # refuse | form | flow | fake | reset
    cases: Callable[[dict], st.SearchStrategy[fuzzing.Case]]
    headers: Callable[[dict], dict[str, str]] = lambda world: {}


# --- the walk ---------------------------------------------------------------------------------
def walk(patterns, prefix: str = ""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def concrete(route: str) -> str:
    """A URL for the pattern, with a plausible value for each parameter."""
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route).replace("^", "").replace("$", "")
    url = re.sub(r"<int:\w+>", "1", url)
    url = re.sub(r"<(str|slug|path):email>", "someone@fuzz.example", url)
    url = re.sub(r"<(str|slug|path):platform>", "slack", url)
    url = re.sub(r"<(?:\w+:)?\w+>", "x", url)
    return "/" + url


FAKES = [
    "sandbox/",  # the sandbox's pages answer any method with the page
    "sandbox/inbox/<str:platform>/<str:email>/",
    "sandbox/slack/api/auth.test",
    "sandbox/slack/api/auth.revoke",
    "sandbox/slack/api/oauth.v2.access",
    "sandbox/slack/api/chat.postMessage",
    "sandbox/slack/api/users.info",
    "sandbox/slack/api/conversations.open",
    "sandbox/slack/api/conversations.history",
    "sandbox/slack/api/<str:method>",
    "sandbox/slack/oauth/v2/authorize",
    "sandbox/teams/login/<str:tenant>/oauth2/v2.0/authorize",
    "sandbox/teams/login/<str:tenant>/oauth2/v2.0/token",
    "sandbox/teams/connector/teams/v3/conversations",
    "sandbox/teams/connector/teams/v3/conversations/<str:conversation>/activities",
    "sandbox/teams/graph/v1.0/chats",
    "sandbox/teams/graph/v1.0/chats/<str:chat>/messages",
    "sandbox/zoom/oauth/authorize",
    "sandbox/zoom/oauth/token",
    "sandbox/zoom/api/v2/im/chat/messages",
    "sandbox/zoom/api/v2/chat/users/<str:user_id>/messages",
    "sandbox/webex/api/authorize",
    "sandbox/webex/api/access_token",
    "sandbox/webex/api/messages",
]

TARGETS = [
    Target(
        "api/relay-failures/",
        "/api/relay-failures/",
        "refuse",
        lambda w: fuzzing.relay_reports(w["users"]),
        lambda w: {"HTTP_AUTHORIZATION": f"Bearer {w['key']}"},
    ),
    Target(
        "api/relay-failures/",
        "/api/relay-failures/",
        "refuse",
        lambda w: fuzzing.relay_without_key(),
    ),
    *[
        Target(
            route,
            f"/{route}",
            "refuse",
            cases,
            lambda w: {"HTTP_AUTHORIZATION": f"Bearer {w['key']}"},
        )
        for route, cases in (
            ("api/v1/tokens/", lambda w: fuzzing_relay.token_requests(w["users"])),
            ("api/v1/relay-events/", lambda w: fuzzing_relay.relay_event_batches()),
        )
    ],
    *[
        Target(route, f"/{route}", "refuse", lambda w: fuzzing_relay.without_key())
        for route in ("api/v1/tokens/", "api/v1/relay-events/")
    ],
    Target(
        "hooks/slack/events/", "/hooks/slack/events/", "refuse", lambda w: fuzzing.slack_unsigned()
    ),
    Target(
        "hooks/slack/events/",
        "/hooks/slack/events/",
        "refuse",
        lambda w: fuzzing.slack_signed(w["slack_user"]),
    ),
    Target(
        "hooks/zoom/events/", "/hooks/zoom/events/", "refuse", lambda w: fuzzing.zoom_unsigned()
    ),
    Target("hooks/zoom/events/", "/hooks/zoom/events/", "refuse", lambda w: fuzzing.zoom_signed()),
    Target(
        "hooks/graph/lifecycle/",
        "/hooks/graph/lifecycle/",
        "refuse",
        lambda w: fuzzing.graph_notifications(),
    ),
    Target("resync/fresh/", "/resync/fresh/", "refuse", lambda w: fuzzing_forms.resync_emails()),
    Target(
        "resync/<str:token>/start/", "", "refuse", lambda w: fuzzing_forms.resync_tokens("start/")
    ),
    Target(
        "resync/<str:token>/fresh/", "", "refuse", lambda w: fuzzing_forms.resync_tokens("fresh/")
    ),
    *[
        Target(
            f"sandbox/api/{call}",
            f"/sandbox/api/{call}",
            "refuse",
            lambda w, c=call: fuzzing_forms.sandbox_calls(c),
        )
        for call in ("situation", "script", "faults", "users", "event")
    ],
    Target(
        "sandbox/api/reset",
        "/sandbox/api/reset",
        "reset",
        lambda w: fuzzing_forms.sandbox_calls("reset"),
    ),
    Target(
        "dashboard/invitations/<str:token>/",
        "/dashboard/invitations/not-a-signed-invitation/",
        "refuse",
        lambda w: fuzzing_forms.any_form(["username", "password1", "password2"]),
    ),
    Target(
        "accounts/login/",
        "/accounts/login/",
        "form",
        lambda w: fuzzing_forms.login_forms(w["username"]),
    ),
    Target(
        "accounts/signup/",
        "/accounts/signup/",
        "form",
        lambda w: fuzzing_forms.any_form(["email", "username", "password1", "password2"]),
    ),
    Target(
        "accounts/password/reset/",
        "/accounts/password/reset/",
        "form",
        lambda w: fuzzing_forms.any_form(["email"]),
    ),
    Target(
        "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        "/accounts/password/reset/key/1-set-password/",
        "form",
        lambda w: fuzzing_forms.any_form(["password1", "password2"]),
    ),
    Target(
        "accounts/logout/", "/accounts/logout/", "form", lambda w: fuzzing_forms.any_form(["next"])
    ),
    Target("admin/logout/", "/admin/logout/", "form", lambda w: fuzzing_forms.any_form(["next"])),
    Target(
        "accounts/^confirm-email/(?P<key>[-:\\w]+)/$",
        "/accounts/confirm-email/not-a-key/",
        "form",
        lambda w: fuzzing_forms.any_form(["key"]),
    ),
    Target(
        "accounts/microsoft/login/",
        "/accounts/microsoft/login/",
        "flow",
        lambda w: fuzzing_forms.any_form(["process", "next"]),
    ),
    Target(
        "accounts/microsoft/login/callback/",
        "/accounts/microsoft/login/callback/",
        "form",
        lambda w: fuzzing_forms.any_form(["code", "state", "error"]),
    ),
    *[
        Target(
            route,
            concrete(route),
            "fake",
            lambda w: fuzzing_forms.fake_calls(),
        )
        for route in FAKES
    ],
]


@pytest.fixture
def world(db):
    tenant = make_tenant()
    person = make_person(tenant, email="someone@fuzz.example")
    accounts = [make_account(person, p) for p in ("slack", "teams", "zoom", "webex")]
    user = make_user(tenant)
    key = issue_relay_key(tenant)
    # The key's use count for today exists already: counting a request updates it in place.
    KeyUse.objects.create(key=RelayApiKey.objects.get(tenant=tenant), day=timezone.now().date())
    return {
        "key": key,
        "users": {a.email for a in accounts} | {a.upstream_user_id for a in accounts},
        "slack_user": accounts[0].upstream_user_id,
        "username": user.username,
    }


def send(client: Client, target: Target, case: fuzzing.Case, headers: dict[str, str]):
    path = case.path or target.path
    if case.query:
        path = f"{path}?{case.query}"
    return client.generic(
        "POST", path, data=case.body, content_type=case.content_type, **headers, **case.headers
    )


def check(target: Target, case: fuzzing.Case, response, before) -> None:
    status = response.status_code
    assert status < 500, (status, case)
    if target.kind == "refuse":
        assert 400 <= status < 500, (status, case, response.content[:300])
        if response["Content-Type"].startswith("application/json"):
            message = json.loads(response.content).get("error")
            assert isinstance(message, str), (case, response.content)
            assert message.strip(), (case, response.content)
        else:
            assert response.content.strip(), case  # the problem page says what went wrong
    if target.kind == "reset":
        assert status == 200
    if target.kind == "flow":
        unchanged = {t: n for t, n in before[0].items() if t not in SESSIONS}
        assert row_counts(exclude=SESSIONS | USE_COUNT_TABLES) == unchanged, case
    else:
        assert snapshot() == before, (status, case)
    assert not response.wsgi_request.user.is_authenticated, case


@pytest.mark.parametrize(
    "target",
    TARGETS,
    ids=[f"{t.route}[{n}]" for n, t in enumerate(TARGETS)],
)
def test_it_refuses_malformed_requests_without_a_5xx_or_a_change(world, target) -> None:
    before = snapshot()
    client = Client(raise_request_exception=True)
    headers = target.headers(world)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )
    @given(case=target.cases(world))
    def fuzz(case: fuzzing.Case) -> None:
        cache.clear()  # rate limits would turn every later request into the same 429
        response = send(client, target, case, headers)
        check(target, case, response, before)

    fuzz()


def test_it_fuzzes_every_public_post_endpoint(world) -> None:
    client = Client(raise_request_exception=False)
    public = set()
    for route, _pattern in walk(get_resolver().url_patterns):
        answer = client.post(concrete(route))
        location = answer.get("Location", "")
        to_login = answer.status_code in (301, 302) and location.startswith(
            ("/accounts/login/", "/admin/login/", "/accounts/3rdparty/")
        )
        if answer.status_code == 405 or to_login:
            continue
        public.add(route)
    fuzzed = {t.route for t in TARGETS}
    assert public - fuzzed == set(), "public POST endpoints that are not fuzzed"
    assert fuzzed - public == set(), "fuzz targets the URL conf does not serve publicly"
