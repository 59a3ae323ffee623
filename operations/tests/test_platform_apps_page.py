"""The operator's page of check_platforms (/dashboard/platform-apps/): operators only."""

from __future__ import annotations

from dashboard.tests.factories import make_user
from platforms.tests.test_appcheck import installed  # noqa: F401 (the fixture)


def test_it_shows_the_checks_to_operators_only(installed, client):  # noqa: F811
    client.force_login(make_user(installed["tenant"]))
    assert client.get("/dashboard/platform-apps/").status_code == 403
    client.force_login(make_user(superuser=True))
    page = client.get("/dashboard/platform-apps/").content.decode()
    assert "All configured platform apps work." in page
    assert "Azure Bot: Bot Framework token" in page
