"""Finding 6 of issue 14: no-store on private pages; no inline styles, no open form-action."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import get_resolver

from accounts.resync.links import create_link, token_for
from dashboard.charts import STATE_COLOURS
from dashboard.tests.factories import make_user, populate
from tests.factories import make_tenant
from tests.security.test_fuzz import concrete, walk

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
STYLE_ATTR = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[^>]*>(.*?)</style>", re.IGNORECASE | re.DOTALL)


def directives(answer) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    policy = answer.headers["Content-Security-Policy"]
    out = {}
    for part in policy.split(";"):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    tenant = make_tenant()
    data = populate(tenant, 6)
    staff = Client(raise_request_exception=False)
    staff.force_login(make_user(tenant, superuser=True))
    admin = Client(raise_request_exception=False)
    admin.force_login(make_user(tenant))
    account = data["accounts"][1]
    link = token_for(create_link(account.person, account))
    return {"tenant": tenant, "staff": staff, "admin": admin, "data": data, "link": link}


def test_it_keeps_private_pages_out_of_every_cache(world) -> None:
    incident = world["data"]["ca"]
    pages = [
        (world["admin"], "/dashboard/"),
        (world["admin"], f"/dashboard/incidents/{incident.pk}/"),
        (world["staff"], "/admin/"),
        (world["staff"], "/admin/tokens/credential/"),
        (Client(), f"/resync/{world['link']}/"),
        (Client(), "/accounts/login/"),
    ]
    for client, url in pages:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert "no-store" in answer.headers.get("Cache-Control", ""), url
    # The API's answers too (the relay API hands out access tokens), refusals included.
    assert "no-store" in Client().post("/api/relay-failures/").headers["Cache-Control"]


def test_it_lets_forms_go_only_to_this_site_and_the_platforms_sign_in(world) -> None:
    answer = world["admin"].get("/dashboard/")
    form_action = directives(answer)["form-action"]
    assert "'self'" in form_action
    assert "https://login.microsoftonline.com" in form_action
    assert "https://slack.com" in form_action
    for source in form_action:
        assert source not in {"https:", "http:", "*"}, form_action


def test_no_page_needs_inline_styles(world) -> None:
    routes = [concrete(route) for route, _ in walk(get_resolver().url_patterns)]
    incident = world["data"]["ca"]
    person = world["data"]["people"][1]
    routes += [
        "/dashboard/",
        f"/dashboard/incidents/{incident.pk}/",
        f"/dashboard/people/{person.pk}/",
        f"/resync/{world['link']}/",
        "/admin/dashboard/auditentry/",
        "/admin/mfa/authenticator/",
    ]
    seen = 0
    for url in routes:
        if url.startswith("/sandbox/"):
            continue  # the sandbox (demo only) draws the fakes' colours, and says so in its CSP
        for client in (world["staff"], world["admin"], Client()):
            answer = client.get(url)
            if answer.status_code != 200 or "html" not in answer.get("Content-Type", ""):
                continue
            seen += 1
            styles = directives(answer)["style-src"]
            assert "'unsafe-inline'" not in styles, url
            html = answer.content.decode()
            assert not STYLE_ATTR.search(html), (url, STYLE_ATTR.search(html).group(0))
            for block in STYLE_ELEMENT.findall(html):
                digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
                assert f"'sha256-{digest}'" in styles, url
    assert seen > 10


def test_the_state_colours_in_the_stylesheet_match_the_charts() -> None:
    css = (ROOT / "static" / "mio" / "dashboard.css").read_text()
    for state, colour in STATE_COLOURS.items():
        assert f".state-{state} {{ --state: {colour}; }}" in css, state
