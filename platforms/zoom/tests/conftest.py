"""A person with a Zoom account in the sandbox, and the Mio chatbot installed on their account."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from platforms.sandbox.registry import get_fake
from platforms.tests.contract import _hidden_fields
from tests.factories import make_person, make_tenant
from tokens.models import Credential, Installation, PlatformAccount
from tokens.provisioning import attach_account, grant_from_dict


@pytest.fixture
def zoom_account(sandbox) -> PlatformAccount:
    tenant = make_tenant(primary_platform="zoom")
    person = make_person(tenant, email=f"ada@{tenant.slug}.example", name="Ada Lovelace")
    data = sandbox.provision("zoom", person.email, person.name)
    account = attach_account(person, "zoom", grant_from_dict(data["grant"]))
    bot = get_fake("zoom").provision_bot(account.workspace_id)
    Installation.objects.create(
        tenant=tenant,
        platform="zoom",
        workspace_id=account.workspace_id,
        bot_user_id=bot["bot_user_id"],
        credential=Credential.objects.create(
            tenant=tenant, platform="zoom", kind=Credential.Kind.BOT
        ),
    )
    return account


@pytest.fixture
def browser() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.trust_env = False
        # Closed at the end: an idle keep-alive connection would pin a live-server thread (and
        # its database session) past the test.
        yield http


def consent(
    http: requests.Session, authorize_url: str, decision: str = "allow", **extra: str
) -> requests.Response:
    """Play the person on the consent page; return the page's answer to the form."""
    page = http.get(authorize_url, timeout=30)
    assert page.status_code == 200, page.text[:300]
    fields: dict[str, Any] = {"decision": decision, **_hidden_fields(page.text), **extra}
    return http.post(page.url, data=fields, timeout=30, allow_redirects=False)


def redirect_params(answer: requests.Response) -> dict[str, str]:
    assert answer.status_code == 302, answer.text[:300]
    return {k: v[0] for k, v in parse_qs(urlparse(answer.headers["Location"]).query).items()}
