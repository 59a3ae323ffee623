"""The sandbox's transient faults, as a client meets them: every kind, the reset included.

``POST /sandbox/api/faults`` makes a share of a platform's calls fail with a 5xx, a 429 with
Retry-After, an answer slower than the client's timeout, or a connection reset (a TCP RST
before any answer; see ``platforms.sandbox.core.connection_reset``). The server must go on
serving, and log no traceback, whatever the faults did to its connections.
"""

from __future__ import annotations

import errno
from concurrent.futures import ThreadPoolExecutor

import requests

from reliability.figures import errors_logged


def meet(url: str) -> str:
    http = requests.Session()
    http.trust_env = False
    try:
        answer = http.get(url, timeout=0.5)
    except requests.Timeout:
        return "timeout"
    except requests.ConnectionError as exc:
        reason = exc.args[0] if exc.args else None
        inner = getattr(reason, "args", [None, None])
        cause = inner[1] if len(inner) > 1 else reason
        if (
            isinstance(cause, ConnectionResetError)
            or getattr(cause, "errno", 0) == errno.ECONNRESET
        ):
            return "reset"
        return f"connection error: {exc!r}"
    if answer.status_code == 429:
        return "429" if answer.headers.get("Retry-After") == "1" else "429 without Retry-After"
    return str(answer.status_code)


def test_it_fails_calls_in_every_transient_way_and_keeps_serving(sandbox, settings) -> None:
    settings.SANDBOX_FAULT_SLOW_SECONDS = 1.0
    sandbox.faults("webex", error_rate=1.0)
    url = f"{settings.SANDBOX_URL}/webex/api/people/me"
    with errors_logged() as errors, ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(meet, [url] * 90))
    kinds = set(seen)
    assert kinds <= {"500", "502", "503", "429", "timeout", "reset"}, kinds
    assert {"429", "timeout", "reset"} <= kinds, kinds
    assert kinds & {"500", "502", "503"}, kinds
    sandbox.faults("webex", error_rate=0.0)
    assert meet(url) == "401"  # still serving (no token: the fake's own answer)
    assert errors.records == []  # no traceback, in the server or anywhere else
