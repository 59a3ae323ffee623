"""The reference relay (examples/relay/) as a real process beside the test's live server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RelayProcesses:
    """Starts reference relays against ``site_url`` (Mio and its sandbox); stops them all."""

    def __init__(self, site_url: str, state_dir: Path) -> None:
        self.site_url = site_url
        self.state = state_dir / "relay-state.json"
        self.started: list[subprocess.Popen] = []

    def start(self, key: str, secret: str, port: int | None = None) -> str:
        """Run one relay with ``key`` and webhook ``secret``; its URL once it answers."""
        port = port or free_port()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and example
            [
                sys.executable,
                str(ROOT / "examples" / "relay" / "relay.py"),
                f"--mio={self.site_url}",
                f"--key={key}",
                f"--secret={secret}",
                f"--sandbox={self.site_url}/sandbox",
                f"--port={port}",
                f"--state={self.state}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.started.append(process)
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(url + "/messages", timeout=1)
                return url
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(process.stdout.read().decode() if process.stdout else "no relay")

    def stop(self) -> None:
        for process in self.started:
            process.terminate()
            process.wait(10)
