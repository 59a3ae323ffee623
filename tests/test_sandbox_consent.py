"""The sandbox's Slack consent page reads like Slack's and says why it asks for an email."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_it_words_the_slack_consent_page_and_explains_the_email_field(client):
    query = urlencode(
        {
            "client_id": settings.PLATFORM_APPS["slack"]["client_id"],
            "redirect_uri": "http://testserver/install/slack/callback/",
            "scope": "chat:write",
            "state": "s",
        }
    )
    html = client.get(f"/sandbox/slack/oauth/v2/authorize?{query}").content.decode()
    assert "access the your" not in html
    assert "access\n      your Slack workspace" in html
    # Who is installing: the sandbox has no Slack sign-in, so it asks, and says so.
    assert 'id="slack-account"' in html
    assert "stands in for Slack's own sign-in" in html
    assert "ada.lovelace@northwind.example" in html
