"""The demo's processes: the web server (with the sandbox) and the django-q2 cluster, started,
watched, and stopped cleanly.

Each child runs in its own process group. Ctrl-C in a terminal signals the whole foreground
group; if the children were in it, django-q2's sentinel and workers would get it at the same
moment as the cluster's main process, which then waits forever for a sentinel that is already
gone. Here only the supervisor hears Ctrl-C, and it stops each child the way that child expects
(SIGINT to the cluster, which winds its own workers down; SIGTERM to the web server), waits,
and only then kills whatever is left of each group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    stop_signal: signal.Signals
    log: Path | None = None  # None: the demo's console
    process: subprocess.Popen | None = None
    _log_file: IO[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        out = None
        if self.log is not None:
            self.log.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log.open("ab")
            out = self._log_file
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            list(self.argv), stdout=out, stderr=out, start_new_session=True
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def group_alive(self) -> bool:
        if self.process is None:
            return False
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def signal_group(self, sig: signal.Signals) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def ask_to_stop(self) -> None:
        if self.running:
            self.process.send_signal(self.stop_signal)

    def close(self) -> None:
        if self._log_file is not None:
            self._log_file.close()


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the web server binds: a previous run's connections in TIME_WAIT don't count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def wait_until_serving(
    url: str, children: list[Child], give_up: Callable[[], bool], timeout: float = 60.0
) -> bool:
    """True once ``url`` answers; False if a child died, ``give_up()``, or time ran out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if give_up() or not all(child.running for child in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own http URL
                return True
        except urllib.error.HTTPError:
            return True  # it answered
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def stop_all(children: list[Child], grace: float = 20.0) -> list[str]:
    """Stop every child and its group; the names of those that had to be killed."""
    for child in children:
        child.ask_to_stop()
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(child.group_alive() for child in children):
        for child in children:
            if child.process is not None:
                child.process.poll()  # reap, so a finished leader leaves the group
        time.sleep(0.2)
    killed = []
    for child in children:
        if child.group_alive():
            killed.append(child.name)
            child.signal_group(signal.SIGKILL)
        if child.process is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=5)
        child.close()
    return killed


def supervise(
    children: list[Child],
    ready_url: str,
    on_ready: Callable[[], None],
    say: Callable[[str], None],
) -> int:
    """Start the children, call ``on_ready`` once ``ready_url`` answers, run until a signal
    (or until a child dies), then stop them all. Returns the exit status."""
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    status = 0
    try:
        for child in children:
            child.start()
        if wait_until_serving(ready_url, children, give_up=lambda: bool(stopping)):
            on_ready()
        elif not stopping:
            status = 1
            say(f"The demo did not come up at {ready_url}.")
        while not stopping and status == 0:
            for child in children:
                if not child.running:
                    say(f"The {child.name} stopped unexpectedly (exit {child.process.returncode}).")
                    status = 1
            time.sleep(0.3)
    finally:
        say("\n==> stopping the web server and the workers")
        killed = stop_all(children)
        if killed:
            say(f"    ({', '.join(killed)} did not stop in time: killed)")
        say("==> stopped; the data is kept for the next run.")
        sys.stdout.flush()
    return status
