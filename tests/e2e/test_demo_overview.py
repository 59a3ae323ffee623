"""The demo's story on the dashboard, in a real browser: the screenshot in the README.

``seed_demo --story`` (what ``scripts/demo`` runs) breaks accounts on all four platforms and
writes thirty days of healed history; the operator signs in with password and TOTP and sees
every seed situation, and the trend charts with their shape.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Page, expect

from accounts.demo import mfa
from accounts.demo.story import SEED_SITUATIONS
from accounts.management.commands.seed_demo import DEMO_PASSWORD
from tests.e2e.signin import sign_in
from tokens.situations import Situation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_shows_the_demo_story_on_the_dashboard(
    page: Page, live_server, screenshot_dir, settings
) -> None:
    settings.SITE_URL = live_server.url  # the links in the story's prompts
    call_command("seed_demo", "--story", stdout=io.StringIO())
    secret = mfa.secret_of(get_user_model().objects.get(username="admin"))
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, "admin", DEMO_PASSWORD, secret, "/dashboard/")
    page.goto(f"{live_server.url}/dashboard/")  # without the "signed in" notice, for the README

    for platform in ("slack", "teams", "zoom", "webex"):
        card = page.locator(f".platform-card.platform-{platform}")
        expect(card.locator("figure.trend svg")).to_be_visible()
        expect(card.locator(".kpis")).not_to_contain_text("Prompts sent 0")
    panel = page.locator(".alert-panel")
    expect(panel).to_contain_text("Blocked by Conditional Access")
    expect(panel).to_contain_text("Microsoft Teams in Contoso")
    page.screenshot(path=str(screenshot_dir / "demo-overview.png"), full_page=True)

    # Every situation of the seed's table is on the dashboard, as an open incident.
    page.goto(f"{live_server.url}/dashboard/incidents/?status=open")
    rows = page.locator("table.list tbody")
    for key in sorted(SEED_SITUATIONS):
        expect(rows).to_contain_text(Situation(key).label)
