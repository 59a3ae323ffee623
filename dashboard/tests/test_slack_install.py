""" "Add to Slack" end to end: the dashboard starts it, the sandbox's consent page authorizes the
bot scopes, the callback redeems the code through slack-sdk over real HTTP and records the bot."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
import requests
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from dashboard import slack_install as install
from dashboard.models import AuditEntry
from dashboard.tests.factories import make_user
from platforms.messages import Message
from platforms.registry import get_adapter
from platforms.slack.oauth import BOT_SCOPES
from tests.factories import make_account, make_person, make_tenant
from tokens.models import Credential, Installation
from tokens.provisioning import record_installation
from tokens.secret import reveal

START = "/install/slack/"
CALLBACK = "/install/slack/callback/"


@pytest.fixture
def slack():
    return get_adapter("slack")


def _http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


@pytest.fixture
def installer(sandbox) -> dict:
    """Tenant Acme, its dashboard admin signed in, and a Slack user of Acme's workspace."""
    tenant = make_tenant(primary_platform="slack")
    slack_user = sandbox.provision("slack", f"ada@{tenant.slug}.example", "Ada Admin")["user"]
    user = make_user(tenant)
    client = Client()
    client.force_login(user)
    return {"tenant": tenant, "client": client, "user": user, "slack_user": slack_user}


def _authorize(client: Client, tenant_slug: str, email: str, decision: str = "allow") -> str:
    """Start the install, answer Slack's consent page as ``email``; the callback URL back."""
    started = client.get(START, {"tenant": tenant_slug})
    assert started.status_code == 302, started.content[:300]
    answer = _http().post(
        started["Location"],
        data={"decision": decision, "account": email},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, answer.text[:300]
    back = urlparse(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def _ciphertext(column: str, credential: Credential) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {Credential._meta.db_table} WHERE id = %s",  # noqa: S608
            [credential.pk],
        )
        return cursor.fetchone()[0]


def test_it_sends_the_admin_to_slack_with_the_bot_scopes_and_a_signed_state(
    installer, settings
) -> None:
    started = installer["client"].get(START, {"tenant": installer["tenant"].slug})
    assert started.status_code == 302
    url = urlparse(started["Location"])
    query = _query(started["Location"])
    assert url.path.endswith("/sandbox/slack/oauth/v2/authorize")
    assert query["scope"] == "chat:write,users:read,im:write,im:history" == ",".join(BOT_SCOPES)
    assert query["client_id"] == settings.PLATFORM_APPS["slack"]["client_id"]
    assert query["redirect_uri"] == f"{settings.SITE_URL}/install/slack/callback/"
    assert query["code_challenge_method"] == "S256"
    state = signing.loads(query["state"], salt=install.STATE_SALT)
    assert state["t"] == installer["tenant"].pk


def test_it_installs_the_bot_with_its_rotating_token_encrypted(installer, sandbox, slack) -> None:
    tenant, client, slack_user = installer["tenant"], installer["client"], installer["slack_user"]

    done = client.get(_authorize(client, tenant.slug, slack_user["email"]))

    assert done.status_code == 200, done.content[:500]
    assert b"Mio is installed in Slack" in done.content
    installation = Installation.objects.select_related("credential").get(
        tenant=tenant, platform="slack"
    )
    assert installation.is_active
    assert installation.workspace_id == slack_user["workspace_id"]
    assert installation.bot_user_id.startswith("U")
    credential = installation.credential
    assert credential.kind == Credential.Kind.BOT
    bot_token, refresh_token = reveal(credential.access_token), reveal(credential.refresh_token)
    assert bot_token.startswith("xoxe.xoxb-1-")
    assert refresh_token.startswith("xoxe-1-")
    assert bot_token not in _ciphertext("access_token", credential)
    assert refresh_token not in _ciphertext("refresh_token", credential)
    assert credential.expires_at - timezone.now() > timedelta(hours=11)
    assert sorted(credential.scopes) == sorted(BOT_SCOPES)
    entry = AuditEntry.objects.get(action="slack.install")
    assert entry.tenant_id == tenant.pk
    assert entry.detail["workspace_id"] == slack_user["workspace_id"]
    assert bot_token not in str(entry.detail)
    assert refresh_token not in str(entry.detail)
    # The installed bot can DM a person of that workspace.
    person = sandbox.provision("slack", f"grace@{tenant.slug}.example", "Grace")["user"]
    account = make_account(
        make_person(tenant, email=person["email"]),
        "slack",
        upstream_user_id=person["upstream_id"],
        workspace_id=person["workspace_id"],
    )
    sent = slack.send(installation, account, Message(title="Hello", text="From the new bot"))
    assert sent.message_id


def test_it_refuses_a_state_used_twice(installer) -> None:
    tenant, client, slack_user = installer["tenant"], installer["client"], installer["slack_user"]
    callback = _authorize(client, tenant.slug, slack_user["email"])
    assert client.get(callback).status_code == 200
    before = Installation.objects.get(tenant=tenant).credential.updated_at

    again = client.get(callback)

    assert again.status_code == 400
    assert b"not valid" in again.content
    assert Installation.objects.get(tenant=tenant).credential.updated_at == before
    assert AuditEntry.objects.filter(action="slack.install").count() == 1


def test_it_refuses_a_forged_state_or_one_from_another_browser(installer, sandbox) -> None:
    tenant, client, slack_user = installer["tenant"], installer["client"], installer["slack_user"]
    callback = _authorize(client, tenant.slug, slack_user["email"])
    query = _query(callback)
    forged = signing.dumps({"t": tenant.pk, "n": "guessed"}, salt=install.STATE_SALT)
    unsigned = query["state"][:-3] + "abc"
    for state in (forged, unsigned, "", "x" * 5000):
        answer = client.get(CALLBACK + "?" + urlencode({**query, "state": state}))
        assert answer.status_code == 400, state[:40]
    # The same admin in another browser (session) cannot finish this browser's install.
    other = Client()
    other.force_login(installer["user"])
    assert other.get(callback).status_code == 400
    assert not Installation.objects.filter(tenant=tenant).exists()
    # This browser still can: none of the refusals used its install up.
    assert client.get(callback).status_code == 200
    assert Installation.objects.filter(tenant=tenant).exists()


def test_it_keeps_a_tenant_admin_from_installing_for_another_tenant(installer) -> None:
    other = make_tenant(primary_platform="slack")
    client = installer["client"]

    refused = client.get(START, {"tenant": other.slug})

    assert refused.status_code == 404
    assert install.SESSION_KEY not in client.session
    assert client.get(START, {"tenant": "no such/tenant"}).status_code == 400


def test_it_refuses_a_viewer_and_lets_the_operator_install_anywhere(installer) -> None:
    tenant = installer["tenant"]
    viewer = Client()
    viewer.force_login(make_user(tenant, role="viewer"))
    assert viewer.get(START, {"tenant": tenant.slug}).status_code == 403
    operator = Client()
    operator.force_login(make_user(superuser=True))
    assert operator.get(START, {"tenant": tenant.slug}).status_code == 302


def test_it_sends_a_signed_out_visitor_to_the_login_page(installer) -> None:
    answer = Client().get(START, {"tenant": installer["tenant"].slug})
    assert answer.status_code == 302
    assert "/accounts/login/" in answer["Location"]


def test_it_says_so_when_the_admin_cancels_at_slack(installer) -> None:
    tenant, client, slack_user = installer["tenant"], installer["client"], installer["slack_user"]

    answer = client.get(_authorize(client, tenant.slug, slack_user["email"], decision="deny"))

    assert answer.status_code == 400
    assert b"Install cancelled" in answer.content
    assert not Installation.objects.filter(tenant=tenant).exists()


def test_it_refuses_a_workspace_another_tenant_has_installed(installer) -> None:
    tenant, client, slack_user = installer["tenant"], installer["client"], installer["slack_user"]
    other = make_tenant(primary_platform="slack")
    record_installation(other, "slack", slack_user["workspace_id"], {"bot_token": "xoxb-other"})

    answer = client.get(_authorize(client, tenant.slug, slack_user["email"]))

    assert answer.status_code == 409
    assert b"belongs to another tenant" in answer.content
    assert not Installation.objects.filter(tenant=tenant).exists()


def test_it_shows_slacks_refusal_of_the_code(installer, sandbox) -> None:
    tenant, client, slack_user = installer["tenant"], installer["client"], installer["slack_user"]
    callback = _authorize(client, tenant.slug, slack_user["email"])
    query = _query(callback)

    answer = client.get(CALLBACK + "?" + urlencode({**query, "code": "not-a-code"}))

    assert answer.status_code == 400
    assert b"invalid_code" in answer.content
    assert not Installation.objects.filter(tenant=tenant).exists()
