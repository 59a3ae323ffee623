"""An admin's Conditional Access journey in a real browser (Playwright driving Debian's chromium).

A CA policy blocks three Teams users of a tenant; the health engine opens one tenant-wide
incident and prompts the admin. The admin signs in to the dashboard with a password and a TOTP
code (computed here from the authenticator's secret), opens the Conditional Access page and sees
the evidence; the policy is fixed in the sandbox; "Verify now" re-checks the accounts, resolves
the incident, and the confirmation reaches the admin's sandbox inbox.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Membership
from dashboard.tests.factories import PASSWORD, make_user
from dashboard.tests.totp import totp_code
from notifications.models import Incident
from notifications.tests.world import build, payload_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lets_an_admin_verify_a_fixed_ca_policy(
    page: Page, sandbox, live_server, screenshot_dir, settings
) -> None:
    settings.NOTIFY_GROUP_WINDOW_SECONDS = 0  # prompt the admin at once, not after gathering
    world = build(sandbox, "teams", users=3, admins=1)
    world.tenant.entra_tenant_id = world.users[0].workspace_id
    world.tenant.save(update_fields=["entra_tenant_id"])
    for account in world.users:
        world.break_(account, "ca_blocked")
    world.check()
    (incident,) = world.open_incidents()
    assert incident.situation == "ca_blocked"
    admin_person = world.admins[0]
    user = make_user(world.tenant, email=admin_person.email)
    Membership.objects.filter(user=user).update(person=admin_person)
    prompts = [payload_text(m) for m in world.inbox(admin_person)]
    assert any("Conditional Access" in t and "AADSTS53003" in t for t in prompts), prompts
    seen_before = len(prompts)

    # Sign in: password, then the authenticator's code.
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboard/conditional-access/")
    page.fill("input[name=login]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code(user.totp_secret))
    page.get_by_role("button", name=re.compile("Sign In", re.I)).click()
    page.wait_for_url(re.compile(r"/dashboard/conditional-access/$"))

    card = page.locator(f"article[data-incident='{incident.pk}']")
    expect(card).to_contain_text("AADSTS53003")
    expect(card).to_contain_text(incident.evidence["correlation_id"])
    expect(card).to_contain_text(incident.evidence["timestamp"])
    expect(card).to_contain_text("3 accounts blocked")
    page.screenshot(path=str(screenshot_dir / "dashboard-conditional-access.png"), full_page=True)
    page.goto(f"{live_server.url}/dashboard/incidents/{incident.pk}/")
    expect(page.locator(".timeline")).to_contain_text("Prompt delivered to")
    page.screenshot(path=str(screenshot_dir / "dashboard-incident.png"), full_page=True)
    page.goto(f"{live_server.url}/dashboard/conditional-access/")

    # The admin excludes Mio from the policy (the sandbox's Entra stops blocking them).
    for account in world.users:
        sandbox.situation("teams", account.person.email, None)

    card.get_by_role("button", name="Verify now").click()
    page.wait_for_url(re.compile(r"/dashboard/conditional-access/$"))
    expect(page.locator(".flash")).to_contain_text("3 accounts work again")
    expect(page.locator(f".resolved-list li[data-incident='{incident.pk}']")).to_contain_text(
        "Admin fix verified"
    )
    page.screenshot(path=str(screenshot_dir / "dashboard-verified.png"), full_page=True)
    page.goto(f"{live_server.url}/dashboard/")
    expect(page.locator(".platform-teams")).to_contain_text("Healthy")
    page.screenshot(path=str(screenshot_dir / "dashboard-overview.png"), full_page=True)

    incident.refresh_from_db()
    assert incident.status == Incident.Status.RESOLVED
    assert incident.resolution == "admin_verified"
    arrived = world.inbox(admin_person)[seen_before:]
    assert any("configured" in payload_text(m) for m in arrived), [
        payload_text(m)[:200] for m in arrived
    ]
