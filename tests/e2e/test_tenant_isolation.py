"""An admin of one tenant, signed in in a real browser, cannot reach another tenant's pages:
they answer 404 (not 403: for this admin they do not exist), and its data appears nowhere."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from playwright.sync_api import Page, expect

from dashboard.models import AuditEntry
from dashboard.tests.factories import PASSWORD, make_tenant, make_user, populate
from notifications.models import Incident
from tests.e2e.signin import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POST_FROM_THE_PAGE = """async ([url, form]) => {
  const token = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const answer = await fetch(url, {
    method: "POST", headers: {"X-CSRFToken": token}, body: new URLSearchParams(form),
    redirect: "manual",
  });
  return answer.type === "opaqueredirect" ? 302 : answer.status;
}"""


def test_it_keeps_an_admin_out_of_another_tenants_pages(page: Page, live_server) -> None:
    cache.clear()  # used TOTP codes and login limits of earlier tests in this process
    ours = make_tenant("acme", primary_platform="teams", name="Acme")
    theirs = make_tenant("globex", primary_platform="teams", name="Globex Corp")
    mine, other = populate(ours, 3), populate(theirs, 3)
    admin = make_user(ours)
    sign_in(page, live_server.url, admin.username, PASSWORD, admin.totp_secret, "/dashboard/")

    # Our own pages open…
    assert page.goto(f"{live_server.url}/dashboard/incidents/{mine['ca'].pk}/").status == 200
    # …theirs do not exist for us.
    for path in (
        f"/dashboard/tenants/{theirs.slug}/",
        f"/dashboard/incidents/{other['ca'].pk}/",
        f"/dashboard/people/{other['people'][0].pk}/",
    ):
        answer = page.goto(f"{live_server.url}{path}")
        assert answer.status == 404, path
        expect(page.locator("body")).not_to_contain_text("Globex Corp")

    # Lists show our tenant's data only.
    for path in ("/dashboard/", "/dashboard/incidents/", "/dashboard/conditional-access/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).not_to_contain_text("Globex Corp")
    page.goto(f"{live_server.url}/dashboard/incidents/")
    expect(page.locator("table.list")).to_contain_text("Acme")
    expect(page.locator(f"a[href='/dashboard/incidents/{other['ca'].pk}/']")).to_have_count(0)

    # Acting on their data from this signed-in page (with its CSRF token): 404, nothing done.
    incident = f"/dashboard/incidents/{other['ca'].pk}"
    for url, form in (
        (f"{incident}/verify/", {}),
        (f"{incident}/resend/", {}),
        (f"{incident}/snooze/", {"hours": "4"}),
        (f"{incident}/resolve/", {}),
        (f"/dashboard/accounts/{other['accounts'][0].pk}/check/", {}),
    ):
        assert page.evaluate(POST_FROM_THE_PAGE, [url, form]) == 404, url
    theirs_now = Incident.objects.get(pk=other["ca"].pk)
    assert (theirs_now.status, theirs_now.snoozed_until) == (Incident.Status.OPEN, None)
    assert not AuditEntry.objects.filter(tenant=theirs).exists()
    # The same call on our own incident is done: the 404s above are the tenant check.
    ours_url = f"/dashboard/incidents/{mine['ca'].pk}/snooze/"
    assert page.evaluate(POST_FROM_THE_PAGE, [ours_url, {"hours": "4"}]) == 302
    assert Incident.objects.get(pk=mine["ca"].pk).snoozed_until is not None
