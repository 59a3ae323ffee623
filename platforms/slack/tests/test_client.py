"""Slack's HTTP path: slack-sdk's parsing over one kept-alive connection pool."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from platforms.errors import PlatformError
from platforms.slack.client import call, web_client
from tokens.secret import reveal


def test_it_keeps_one_connection_alive_across_many_calls(
    sandbox, slack_account, monkeypatch
) -> None:
    token = reveal(slack_account.credential.access_token)
    port = urlparse(settings.SANDBOX_URL).port
    connects: list[object] = []
    real_connect = socket.socket.connect

    def counting_connect(sock: socket.socket, address):  # every TCP connection opened
        if isinstance(address, tuple) and address[1] == port:
            connects.append(address)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counting_connect)
    for _ in range(5):
        answer = call("probe", lambda: web_client(token).auth_test())
        assert answer["user_id"] == slack_account.upstream_user_id
    # slack-sdk's own transport (urllib) opens one per call: five here.
    assert len(connects) <= 1


def test_it_still_raises_slack_sdks_errors_for_ok_false(sandbox) -> None:
    with pytest.raises(PlatformError) as caught:
        call("probe", lambda: web_client("xoxp-not-a-token").auth_test())
    assert caught.value.evidence.error == "invalid_auth"
    assert caught.value.evidence.trace_id  # x-slack-req-id read from the answer's headers


def test_it_reads_a_429s_retry_after(sandbox) -> None:
    sandbox.script(
        "slack", "probe", status=429, headers={"Retry-After": "12"}, body='{"ok": false}'
    )
    with pytest.raises(PlatformError) as caught:
        call("probe", lambda: web_client("xoxp-any").auth_test())
    assert caught.value.transient
    assert caught.value.evidence.retry_after == 12
