"""``scripts/demo``, the README's first command, run for real: it serves the home page, the
login-guarded dashboard and the sandbox; Ctrl-C stops every process it started; a second run
keeps the data.

It runs on the embedded default (its own SQLite file under a temporary ``VAR_DIR``), whatever
database the suite uses, so it runs in the SQLite half of ``scripts/test`` only.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
TABLES = (
    "notifications_incident",
    "notifications_outboxmessage",
    "dashboard_dailysnapshot",
    "auth_user",
    "mfa_authenticator",
)

pytestmark = pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="the demo runs on the embedded SQLite default: tested once, in the SQLite half",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(var: Path, port: int, log: Path) -> subprocess.Popen:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "SITE_URL", "SANDBOX_", "MIO_", "Q_"))
    }
    env.update(VAR_DIR=str(var), PORT=str(port))
    # A session of its own, like a terminal's: Ctrl-C there signals this whole group.
    return subprocess.Popen(  # noqa: S603
        [str(ROOT / "scripts" / "demo")],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_banner(demo: subprocess.Popen, log: Path, timeout: float = 300) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if "Press Ctrl-C" in text:
            return text
        assert demo.poll() is None, f"the demo exited ({demo.returncode}):\n{text[-3000:]}"
        time.sleep(0.5)
    raise AssertionError(f"no banner after {timeout}s:\n{log.read_text()[-3000:]}")


def processes_of(var: Path) -> list[int]:
    """Live processes started for this demo: every one inherits its VAR_DIR."""
    marker = f"VAR_DIR={var}".encode() + b"\0"
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker in (proc / "environ").read_bytes() and (
                (proc / "stat").read_text().split()[2] != "Z"
            ):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


def ctrl_c(demo: subprocess.Popen, var: Path) -> None:
    os.killpg(demo.pid, signal.SIGINT)
    assert demo.wait(timeout=60) == 0
    deadline = time.monotonic() + 10
    while processes_of(var) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_of(var) == []


def counts(var: Path) -> dict[str, int]:
    with sqlite3.connect(var / "mio.sqlite3") as db:
        return {t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608


def held_by_the_relay(http: requests.Session, relay: str) -> list[dict]:
    """The reference relay's messages, once its first one was posted (it is not instant)."""
    for _ in range(100):
        try:
            messages = http.get(f"{relay}/messages", timeout=10).json()
        except requests.RequestException:
            messages = []
        if messages and messages[0]["status"] != "new":
            return messages
        time.sleep(0.3)
    return []


def test_it_serves_the_demo_stops_on_ctrl_c_and_keeps_the_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    var, port = tmp_path / "var", free_port()
    relay_port = free_port()
    monkeypatch.setenv("RELAY_PORT", str(relay_port))
    site = f"http://127.0.0.1:{port}"
    demo = start(var, port, tmp_path / "first.log")
    try:
        banner = wait_for_banner(demo, tmp_path / "first.log")
        assert f"{site}/dashboard/" in banner
        assert "demo_totp" in banner
        assert "mio-demo-2026" in banner
        http = requests.Session()
        http.trust_env = False
        assert "Cross-platform chat that heals itself" in http.get(f"{site}/", timeout=10).text
        dashboard = http.get(f"{site}/dashboard/", timeout=10, allow_redirects=False)
        assert dashboard.status_code == 302
        assert dashboard.headers["Location"].startswith("/accounts/login/")
        sandbox = http.get(f"{site}/sandbox/", timeout=10)
        assert sandbox.status_code == 200
        assert "alan.turing@northwind.example" in sandbox.text
        # The reference relay holds Alan's message on Slack while his Slack account is broken.
        held = held_by_the_relay(http, f"http://127.0.0.1:{relay_port}")
        assert [(m["sender"], m["status"]) for m in held if m["platform"] == "slack"] == [
            ("alan.turing@northwind.example", "held")
        ]
        assert len(processes_of(var)) >= 4  # the supervisor, the web server, the cluster, relay
        ctrl_c(demo, var)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    first = counts(var)
    assert first["notifications_incident"] > 8  # the story's eight, and its history

    demo = start(var, port, tmp_path / "second.log")
    try:
        banner = wait_for_banner(demo, tmp_path / "second.log")
        assert "Story already told" in banner
        ctrl_c(demo, var)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    assert counts(var) == first
