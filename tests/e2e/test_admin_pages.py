"""The tenant admin's pages in a real Chromium: no serious or critical axe-core violation on
the dashboard, sign-in, re-sync and error pages; no horizontal scrolling at 390 px (tables
turn into cards); and the README gallery's screenshots of the integrations, policies, team
and incident pages, at desktop and phone width.

axe-core runs through axe-playwright-python (pinned in requirements.txt), which injects the
axe.min.js it ships: https://github.com/pamelafox/axe-playwright-python
"""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Page

from accounts.demo import mfa
from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.resync.links import url_for
from notifications.models import Incident, OutboxMessage
from tests.e2e.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SERIOUS = {"serious", "critical"}
AXE = Axe()


def serious_violations(page: Page) -> list[str]:
    results = AXE.run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


WIDER_THAN_VIEWPORT = """() => {
  if (document.documentElement.scrollWidth <= window.innerWidth + 1) return [];
  return [...document.querySelectorAll("body *")]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-3).map(e => e.tagName + "." + e.className);
}"""


def wider_than_viewport(page: Page) -> list[str]:
    """The innermost elements that stick out on the right (none: no sideways scrolling)."""
    return page.evaluate(WIDER_THAN_VIEWPORT)


def test_it_keeps_the_admin_pages_accessible_and_phone_sized(
    page: Page, live_server, screenshot_dir, settings
) -> None:
    settings.SITE_URL = live_server.url
    call_command("seed_demo", "--story", stdout=io.StringIO())
    base = live_server.url
    ca = Incident.objects.get(tenant__slug="contoso", situation="ca_blocked", status="open")
    link = OutboxMessage.objects.filter(resync_link__isnull=False).select_related("resync_link")
    resync = url_for(link.first().resync_link)

    # Signed out: the sign-in page, a re-sync landing page, an invalid link, and a 404.
    page.set_viewport_size(DESKTOP)
    problems: dict[str, list[str]] = {}
    for path in ("/accounts/login/", resync, "/resync/not-a-link:x/", "/no/such/page/"):
        page.goto(path if path.startswith("http") else f"{base}{path}")
        problems[path] = serious_violations(page)

    user = get_user_model().objects.get(username="contoso-admin")
    sign_in(page, base, user.username, DEMO_PASSWORD, mfa.secret_of(user), "/dashboard/")
    pages = {
        "overview": "/dashboard/",
        "tenant": "/dashboard/tenants/contoso/",
        "incidents": "/dashboard/incidents/",
        "incident": f"/dashboard/incidents/{ca.pk}/",
        "conditional-access": "/dashboard/conditional-access/",
        "people": "/dashboard/people/",
        "audit": "/dashboard/audit/",
        "integrations": "/dashboard/tenants/contoso/integrations/",
        "policies": "/dashboard/tenants/contoso/policies/",
        "team": "/dashboard/tenants/contoso/team/",
        "not-found": "/dashboard/tenants/northwind/",
    }
    shots = {"integrations", "policies", "team", "incident"}
    sideways = []
    for size_name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        for name, path in pages.items():
            page.goto(f"{base}{path}")
            if size_name == "desktop":
                problems[path] = serious_violations(page)
            elif wide := wider_than_viewport(page):
                sideways.append(f"{path}: {wide}")
            if name in shots:
                page.screenshot(
                    path=str(screenshot_dir / f"admin-{name}-{size_name}.png"), full_page=True
                )
    found = {p: v for p, v in problems.items() if v}
    assert found == {}, "\n".join(f"{p}: {v}" for p, v in found.items())
    assert sideways == []
