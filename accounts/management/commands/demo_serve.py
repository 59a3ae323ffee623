"""``manage.py demo_serve [--port N]``: run the demo until Ctrl-C (``scripts/demo`` ends here).

Starts the web server (the platform sandbox is part of it, under /sandbox/) and the django-q2
cluster, waits until the site answers, prints where to go and how to sign in, and on Ctrl-C
stops both cleanly (``accounts.demo.processes``). The cluster's log goes to a file under
``VAR_DIR`` so the console stays readable.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from signal import SIGINT, SIGTERM
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from accounts.demo import relay as demo_relay
from accounts.demo.processes import Child, port_free, supervise
from accounts.management.commands.seed_demo import DEMO_PASSWORD
from accounts.models import Membership
from notifications.models import Incident
from platforms.keys import Platform

HOST = "127.0.0.1"


def relay_port(port: int) -> int:
    """The reference relay's port: RELAY_PORT, or ten above the site's."""
    return int(os.environ.get("RELAY_PORT") or port + 10)


class Command(BaseCommand):
    help = "Run the demo (web server with the sandbox, and the workers) until Ctrl-C."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))

    def handle(self, *args: Any, port: int, **options: Any) -> None:
        if not settings.DEBUG or not settings.SANDBOX_ENABLED:
            raise CommandError("demo_serve runs the demo: DEBUG and the sandbox must be on.")
        if not 1 <= port <= 65535:
            raise CommandError("--port must be 1..65535")
        if not port_free(HOST, port):
            raise CommandError(
                f"Port {port} is in use. Run the demo on another: PORT=8001 scripts/demo"
            )
        site = f"http://{HOST}:{port}"
        banner = self.banner(site)
        connections.close_all()  # the children have their own; the supervisor needs none
        # The banner below says what this is; runserver's own production warning is noise here.
        os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        workers_log = Path(settings.VAR_DIR) / "demo-workers.log"
        children = [
            Child("web server", [*manage, "runserver", "--noreload", f"{HOST}:{port}"], SIGTERM),
            Child("workers", [*manage, "qcluster"], SIGINT, log=workers_log),
        ]
        relay = None
        if port_free(HOST, relay_port(port)):
            relay = demo_relay.prepare(site, relay_port(port))
            connections.close_all()
        if relay is not None:
            children.append(relay.child)
            banner += f"\n  Reference relay    {relay.url}/   (holds messages of broken accounts)\n"

        def ready() -> None:
            self.stdout.write(banner.replace("{workers_log}", str(workers_log)))
            self.stdout.flush()
            if relay is not None:
                demo_relay.post_first_message(relay)

        status = supervise(children, f"{site}/", ready, self.stdout.write)
        if status:
            raise CommandError(f"The demo stopped with an error (see above and {workers_log}).")

    def banner(self, site: str) -> str:
        User = get_user_model()
        logins = [("admin", "operator: every tenant, and the Django admin")]
        if not User.objects.filter(username="admin").exists():
            logins = []
        seen: set[int] = set()
        for m in (
            Membership.objects.filter(role=Membership.Role.ADMIN)
            .select_related("user", "tenant")
            .order_by("tenant__pk", "pk")
        ):
            if m.tenant_id not in seen:
                seen.add(m.tenant_id)
                platform = Platform(m.tenant.primary_platform).label
                logins.append((m.user.username, f"admin of {m.tenant.name} ({platform})"))
        waiting = (
            Incident.objects.filter(status=Incident.Status.OPEN, audience="user")
            .select_related("account__person")
            .order_by("platform", "pk")
        )
        inboxes = [
            f"{site}/sandbox/inbox/{i.platform}/{i.account.person.email}/"
            for i in waiting
            if i.account_id
        ]
        lines = [
            "",
            "  Mio Auto Heal demo is running on the embedded default.",
            "",
            f"    Home               {site}/",
            f"    Dashboard          {site}/dashboard/",
            f"    Operations console {site}/admin/",
            f"    Platform sandbox   {site}/sandbox/   (fake Slack, Teams, Zoom and Webex)",
            "",
            f"  Sign in with one of these logins and the password {DEMO_PASSWORD}:",
            *[f"    {name:<18} {what}" for name, what in logins],
            "    (each tenant also has an <slug>-admin2 and a read-only <slug>-viewer)",
            "  then enter the 6-digit code the login's authenticator shows now:",
            "    .venv/bin/python manage.py demo_totp LOGIN",
            "",
        ]
        if inboxes:
            lines += [
                "  People with a Re-sync button waiting in their sandbox inbox:",
                *[f"    {url}" for url in inboxes[:6]],
                "",
            ]
        lines += [
            "  A tour of the demo is in README.md. Workers log to {workers_log}.",
            "  Press Ctrl-C to stop; the data is kept for the next run.",
            "",
        ]
        return "\n".join(lines)
