"""Issue 12, finding 4: the chatbot writes to the JID Zoom gives for the user, never one built
from the user id.

Zoom documents the user's chat JID as the ``jid`` field of Get User (``GET /v2/users/me``) and of
the chatbot events (https://devsupport.zoom.us/hc/en-us/articles/360060332871, "Method 2"). The
sandbox's JIDs are deliberately not the lower-cased id, so a JID built by convention is refused
(``platforms/zoom/fixtures/send/unknown_to_jid.json``).
"""

from __future__ import annotations

import json

import pytest

from platforms.errors import PlatformError
from platforms.registry import get_adapter
from platforms.zoom.chatbot import jid_for
from platforms.zoom.tests.conftest import consent, redirect_params
from platforms.zoom.tests.test_adapter import MESSAGE, _callback, _credential, _installation
from tokens.models import CheckRecord, PlatformAccount
from tokens.provisioning import attach_account
from tokens.recording import record


def _users_me_jid(sandbox, account: PlatformAccount) -> str:
    from tokens.secret import reveal

    identity = get_adapter("zoom").probe(None, reveal(_credential(account).access_token) or "")
    return identity.chat_address


def test_it_reads_the_jid_of_users_me(sandbox, zoom_account) -> None:
    jid = _users_me_jid(sandbox, zoom_account)
    assert jid.endswith("@xmpp.zoom.us")
    assert jid != jid_for(zoom_account.upstream_user_id)


def test_it_keeps_the_jid_at_sign_in_and_re_sync(sandbox, zoom_account, browser) -> None:
    jid = _users_me_jid(sandbox, zoom_account)
    PlatformAccount.objects.filter(pk=zoom_account.pk).update(chat_address="")
    adapter = get_adapter("zoom")
    start = adapter.begin_oauth(
        redirect_uri=_callback(sandbox), login_hint=zoom_account.person.email
    )
    grant = adapter.finish_oauth(
        start.flow, redirect_params(consent(browser, start.url)), redirect_uri=_callback(sandbox)
    )
    assert grant.chat_address == jid
    attach_account(zoom_account.person, "zoom", grant)
    zoom_account.refresh_from_db()
    assert zoom_account.chat_address == grant.chat_address


def test_it_learns_the_jid_from_a_check_when_the_account_lacks_it(sandbox, zoom_account) -> None:
    # An account signed in before the JID was read: its next healthy check stores it.
    PlatformAccount.objects.filter(pk=zoom_account.pk).update(chat_address="")
    credential = _credential(zoom_account)
    outcome = get_adapter("zoom").check(credential)
    assert outcome.healthy, outcome.evidence
    record(credential, outcome, source=CheckRecord.Source.MANUAL)
    zoom_account.refresh_from_db()
    assert zoom_account.chat_address == _users_me_jid(sandbox, zoom_account)


def test_it_sends_to_the_jid_zoom_gave(sandbox, zoom_account) -> None:
    get_adapter("zoom").send(_installation(zoom_account), zoom_account, MESSAGE)
    delivered = sandbox.inbox("zoom", zoom_account.person.email)
    assert len(delivered) == 1
    assert json.loads(delivered[0]["payload"])["to_jid"] == zoom_account.chat_address


def test_the_fake_refuses_a_jid_built_from_the_user_id(sandbox, zoom_account) -> None:
    PlatformAccount.objects.filter(pk=zoom_account.pk).update(chat_address="")
    zoom_account.refresh_from_db()
    with pytest.raises(PlatformError) as refused:
        get_adapter("zoom").send(_installation(zoom_account), zoom_account, MESSAGE)
    assert refused.value.evidence.http_status == 404
    assert sandbox.inbox("zoom", zoom_account.person.email) == []
