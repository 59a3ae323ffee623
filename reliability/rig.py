"""What every full-size rig shares: its environment, its database, its loopback server.

A rig runs on its own PostgreSQL database (dropped and created for each run, then migrated),
serves the project with the platform sandbox on a loopback port (``reliability.server``) and
runs the engine in its own process, or in ``qcluster`` processes, with
``DJANGO_SETTINGS_MODULE=reliability.settings``. Production behaviour (``DEBUG`` off: no query
log, no debug pages) with the sandbox switched on for this closed, loopback-only test rig.
Platform calls never leave the machine: with the sandbox on, every real platform URL is
rewritten to the sandbox (``platforms.http``), and the server refuses non-loopback addresses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RIG_DIR = ROOT / "var" / "reliability"


def database_url(name: str) -> str:
    """A rig's own database (each script has one, so two rigs never drop each other's)."""
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def rig_env(database: str, port: int, **extra: str) -> dict[str, str]:
    """The environment of every process of a rig (server, engine, workers)."""
    RIG_DIR.mkdir(parents=True, exist_ok=True)
    key_file = RIG_DIR / "fernet.key"
    if not key_file.exists():
        from cryptography.fernet import Fernet

        key_file.write_text(Fernet.generate_key().decode())
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "Q_", "MIO_", "RELIABILITY_"))
        and k.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="reliability.settings",
        DATABASE_URL=database,
        VAR_DIR=str(RIG_DIR),
        DEBUG="off",
        SECRET_KEY="reliability-rig-only-secret-key-" + "r1g" * 16,
        TOKEN_ENCRYPTION_KEYS=key_file.read_text().strip(),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="off",
        ALLOW_HTTP_SITE_URL="on",  # a closed rig on loopback: http links are fine here
        SANDBOX_ENABLED="on",
        SANDBOX_IN_PRODUCTION="on",
        SITE_URL=f"http://127.0.0.1:{port}",
        SANDBOX_URL=f"http://127.0.0.1:{port}/sandbox",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        # Connections closed after each request: the server's threads come and go with its
        # clients' connections, and must not each keep one open.
        CONN_MAX_AGE="0",
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra)
    return env


def fresh_database(database: str) -> None:
    """Drop and create the rig's database (never any other: its name must start with mio_)."""
    import psycopg

    name = database.rsplit("/", 1)[1]
    if not name.startswith("mio_"):
        raise SystemExit(f"refusing to drop {name!r}: a rig's database name starts with mio_")
    admin = database.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )


class Server:
    """The project with its sandbox on a loopback port, in its own process."""

    def __init__(self, env: dict[str, str], port: int, name: str = "server") -> None:
        self.port = port
        self.counts_file = RIG_DIR / f"{name}-counts.json"
        self.log_file = RIG_DIR / f"{name}.log"
        self.counts_file.unlink(missing_ok=True)
        self.process = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "reliability.server",
                f"127.0.0.1:{port}",
                str(self.counts_file),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log_file.open("w"),
        )
        self._wait()

    def _wait(self) -> None:
        import requests

        http = requests.Session()
        http.trust_env = False
        for _ in range(150):
            if self.process.poll() is not None:
                raise SystemExit(f"the rig's server exited: {self.log_file.read_text()[-3000:]}")
            try:
                if http.get(f"http://127.0.0.1:{self.port}/sandbox/api/", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"the rig's server did not come up; see {self.log_file}")

    def requests(self) -> int:
        """Requests answered so far (the counts file is rewritten twice a second)."""
        try:
            return sum(json.loads(self.counts_file.read_text()).values())
        except (OSError, ValueError):
            return 0

    def errors(self) -> list[str]:
        """Unhandled server errors: the tracebacks in its log. (Its 500 lines without one are
        the sandbox's injected faults, which Django logs like any 5xx a view answers.)"""
        text = self.log_file.read_text() if self.log_file.exists() else ""
        lines = text.splitlines()
        return [
            lines[n - 1] if n else line
            for n, line in enumerate(lines)
            if line.startswith("Traceback")
        ]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def setup_django(env: dict[str, str]) -> None:
    """Make this process one of the rig's (call before anything imports Django models)."""
    os.environ.update(env)
    import django

    django.setup()


@dataclass
class Rig:
    """A running rig, as ``running`` hands it to a script."""

    env: dict[str, str]
    server: Server

    @property
    def control(self) -> Any:
        """The sandbox's control API on the rig's server."""
        from platforms.tests.sandbox_client import SandboxClient

        return SandboxClient(f"http://127.0.0.1:{self.server.port}")

    def populate(self, cfg: Any) -> Any:
        """``reliability.world.seed`` as a rig's config asks (its ``accounts``,
        ``people_per_tenant``, ``broken_fraction`` and ``seed``), with progress on stderr."""
        from reliability import world

        say(f"seeding {cfg.accounts:,} accounts…")
        started = time.monotonic()
        population = world.seed(
            cfg.accounts,
            people_per_tenant=cfg.people_per_tenant,
            broken_fraction=cfg.broken_fraction,
            seed=cfg.seed,
            progress=say,
        )
        say(f"seeded in {time.monotonic() - started:.0f} s")
        return population


@contextmanager
def running(database: str, port: int, name: str, **extra: str) -> Iterator[Rig]:
    """A rig's start and end: its database dropped, created and migrated, its server up on
    ``port``, and this process made one of its processes; the server stops on the way out."""
    env = rig_env(database, port, **extra)
    fresh_database(database)
    migrate(env)
    server = Server(env, port, name=f"{name}-server")
    try:
        setup_django(env)
        yield Rig(env, server)
    finally:
        server.stop()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


Progress = Callable[[str], None]
