"""The reference relay in the demo: its key, its webhook endpoint, its process, its first message.

``demo_serve`` runs ``examples/relay/relay.py`` beside the web server and the workers. The relay
gets a fresh key for the Slack story tenant (the previous demo key is revoked) and that tenant's
webhook endpoint pointing at it. Once the site is up, the person whose Slack account the story
broke "posts" a message to a colleague on another platform of theirs, and the relay carries it
to the others as them: where both have an account it goes out at once, but on Slack the token
API answers 409, so the relay holds it; when they re-sync, ``account.healed`` arrives and the
relay delivers it.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from signal import SIGTERM

import requests
from django.conf import settings

from accounts.demo.processes import Child
from api.keys import create_key, revoke_key
from outbound.endpoints import create_endpoint
from outbound.models import Endpoint
from tokens.models import CredentialState, PlatformAccount, RelayApiKey
from tokens.secret import reveal

KEY_NAME = "demo reference relay"


@dataclass
class DemoRelay:
    child: Child
    url: str
    sender: PlatformAccount | None
    recipient: PlatformAccount | None
    origin: str = ""  # where the sender "posted" it (blank: sent on Slack only)


def prepare(site: str, port: int) -> DemoRelay | None:
    """The relay's child process and who its demo message is from; None without a Slack tenant."""
    sender = (
        PlatformAccount.objects.filter(
            platform="slack",
            credential__state=CredentialState.WAITING_USER,
            credential__situation="grant_revoked",
        )
        .select_related("person__tenant")
        .order_by("pk")
        .first()
    )
    if sender is None:
        return None
    tenant = sender.person.tenant
    recipient = (
        PlatformAccount.objects.filter(
            person__tenant=tenant, platform="slack", credential__state=CredentialState.HEALTHY
        )
        .exclude(pk=sender.pk)
        .order_by("pk")
        .first()
    )
    for old in RelayApiKey.objects.filter(tenant=tenant, name=KEY_NAME, revoked_at__isnull=True):
        revoke_key(old, actor="demo")
    _, key = create_key(tenant, KEY_NAME, actor="demo")
    url = f"http://127.0.0.1:{port}"
    hook = f"{url}/hooks/mio"
    endpoint = Endpoint.objects.filter(tenant=tenant, url=hook).first()
    secret = reveal(endpoint.secret) if endpoint else create_endpoint(tenant, hook)[1]
    # Passed in the environment, not on the command line (where ps would show them).
    os.environ["MIO_RELAY_KEY"], os.environ["MIO_WEBHOOK_SECRET"] = key, secret or ""
    argv = [
        sys.executable,
        str(Path(settings.BASE_DIR) / "examples" / "relay" / "relay.py"),
        f"--mio={site}",
        f"--sandbox={site}/sandbox",
        f"--port={port}",
        f"--state={Path(settings.VAR_DIR) / 'demo-relay-state.json'}",
    ]
    log = Path(settings.VAR_DIR) / "demo-relay.log"
    # Posted on another platform of the sender's, so the relay carries it to the rest (Slack too).
    origin = (
        PlatformAccount.objects.filter(person=sender.person)
        .exclude(platform="slack")
        .order_by("platform")
        .values_list("platform", flat=True)
        .first()
    ) or ""
    child = Child("reference relay", argv, SIGTERM, log=log)
    return DemoRelay(child, url, sender, recipient, origin)


def post_first_message(relay: DemoRelay) -> None:
    """In the background: once the relay answers, post the story's message (first run only)."""

    def post() -> None:
        http = requests.Session()
        http.trust_env = False
        for _ in range(100):
            try:
                if http.get(f"{relay.url}/messages", timeout=2).json():
                    return  # a previous run posted it already
                break
            except requests.RequestException:
                time.sleep(0.2)
        if relay.sender is None or relay.recipient is None:
            return
        name = relay.recipient.person.name.split()[0]
        where = {"origin": relay.origin} if relay.origin else {"platform": "slack"}
        http.post(
            f"{relay.url}/messages",
            json={
                **where,
                "sender": relay.sender.person.email,
                "to": relay.recipient.person.email,
                "text": f"Hi {name}, are we still on for the review at 3?",
            },
            timeout=60,
        )

    threading.Thread(target=post, daemon=True).start()
