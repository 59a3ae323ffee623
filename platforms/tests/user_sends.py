"""How the contract exercises the user-token sends a relay makes (no adapter calls them).

A relay sends a person's message with the token Mio's token API handed out, and reports a
refusal to Mio as it came (``POST /api/v1/relay-events/``), where the adapter's
``classify_relay_error`` reads it. The corpus checks both halves: the fixture's request goes out
as the relay would send it, and a refusal is read by that same classifier.
"""

from __future__ import annotations

from typing import Any

from platforms.base import PlatformAdapter
from platforms.http import request, session_for
from platforms.sandbox.registry import get_fake
from platforms.tests import corpus


def relay_send(wire: corpus.Wire, adapter: PlatformAdapter, context: dict[str, str]) -> Any:
    """Send the fixture's request; the parsed answer, or the PlatformError Mio reads it as."""
    kwargs = corpus.request_kwargs(wire, context)
    http = session_for(adapter.key)
    try:
        # 429, 5xx and network trouble raise a transient PlatformError here, as for any call.
        response = request(
            http,
            kwargs.pop("method"),
            kwargs.pop("url"),
            platform=adapter.key,
            endpoint="relay",
            **kwargs,
        )
    finally:
        http.close()
    body = corpus.parse_body(response.text)
    if response.ok:
        return body
    raise adapter.classify_relay_error(response.status_code, body)


def peer_of(account: Any) -> dict[str, str]:
    """A colleague of the account's person on the same platform (provisioned once)."""
    domain = account.person.email.rsplit("@", 1)[-1]
    user, _ = get_fake(account.platform).provision(f"grace@{domain}", "Grace Hopper")
    return {"email": user.email, "id": user.upstream_id}
