"""Did a failed send perhaps arrive anyway? A clear refusal versus an ambiguous failure.

A send that failed *before* the request left (connection refused, DNS, connect timeout) or
that the platform answered with a refusal (4xx, 429) certainly delivered nothing: trying again
is safe. A send that failed *after* the request left — a read timeout, a connection reset while
waiting for the answer, a 5xx from the send endpoint itself — may have been accepted: the
platform can have stored the message and failed (or been cut off) only while answering.
Resending that blindly is how a person gets the same prompt twice, so
``notifications.delivery`` asks the channel first (see ``recovery.delivered_upstream``).

The adapters raise ``PlatformError`` ``from`` the library's exception (requests / urllib3 /
urllib via slack-sdk), so the chain of causes says how far the request got. Only the
``send`` endpoint is ambiguous: the calls a send makes before it (bot token, opening the
conversation) post no message.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from urllib.error import URLError

import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from platforms.errors import PlatformError

SEND_ENDPOINT = "send"

# Causes that prove the request never reached the platform. urllib (slack-sdk) wraps in
# ``URLError`` only what fails while connecting and writing the request; what fails while
# waiting for the answer (TimeoutError, ConnectionResetError, RemoteDisconnected) is unwrapped.
NEVER_LEFT: tuple[type[BaseException], ...] = (
    requests.ConnectTimeout,
    NewConnectionError,
    ConnectTimeoutError,
    ConnectionRefusedError,
    socket.gaierror,
    URLError,
)

# SMTP answers that refuse the message (the server replied with an error code): not sent.
SMTP_REFUSED: tuple[type[BaseException], ...] = (
    smtplib.SMTPResponseException,  # sender / data refused, with the server's code
    smtplib.SMTPRecipientsRefused,
)


def causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything it was raised from or wraps (requests and urllib3 keep the
    inner exception in ``args`` or ``reason``)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 32:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        # The explicit cause; the implicit context only when nothing replaced it (``from``
        # suppresses it), so an exception handled earlier in the same call is not mistaken
        # for this one's cause.
        context = None if current.__suppress_context__ else current.__context__
        inner = [current.__cause__, context, getattr(current, "reason", None), *current.args]
        todo += [e for e in inner if isinstance(e, BaseException)]


def never_left(exc: BaseException) -> bool:
    return any(isinstance(cause, NEVER_LEFT) for cause in causes(exc))


def ambiguous(exc: PlatformError) -> bool:
    """Whether the failed send may have been accepted by the platform."""
    if not exc.transient or exc.evidence.endpoint != SEND_ENDPOINT:
        return False
    status = exc.evidence.http_status
    if status is not None:
        # 429 is a clear "not now"; a 5xx from the send endpoint may come after the store.
        return status >= 500
    return not never_left(exc)


def email_refused(exc: BaseException) -> bool:
    """After the SMTP connection was open: did the server clearly refuse the message?"""
    return isinstance(exc, SMTP_REFUSED)
