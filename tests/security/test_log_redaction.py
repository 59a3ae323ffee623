"""Finding 5 of issue 14: no OAuth code, state or re-sync link token reaches a log line."""

from __future__ import annotations

import io
import logging

import pytest

from accounts.resync.links import create_link, token_for
from mio_heal.logging import RedactTokensFilter, redact_every_handler
from tests.factories import make_account, make_person, make_tenant

CODE = "0.AXkAcodeSECRETvalue-1234"
STATE = "st4te-SECRET.value:xyz"


@pytest.fixture
def link_token(db) -> str:  # type: ignore[no-untyped-def]
    person = make_person(make_tenant())
    return token_for(create_link(person, make_account(person)))


def handlers_reached(logger: logging.Logger) -> list[logging.Handler]:
    """The app's handlers a record logged on ``logger`` goes through (as logging walks them)."""
    found: list[logging.Handler] = []
    current: logging.Logger | None = logger
    while current is not None:
        found += [h for h in current.handlers if not type(h).__module__.startswith("_pytest")]
        current = current.parent if current.propagate else None
    return found


@pytest.fixture
def written() -> io.StringIO:  # type: ignore[misc]
    """What the configured handlers write (their streams pointed at one buffer meanwhile)."""
    out = io.StringIO()
    handlers = {
        h
        for name in ("django.server", "accounts.resync")
        for h in handlers_reached(logging.getLogger(name))
        if isinstance(h, logging.StreamHandler)
    }
    old = {h: h.setStream(out) for h in handlers}
    yield out
    for handler, stream in old.items():
        handler.setStream(stream)


def test_it_redacts_codes_states_and_link_tokens_from_request_lines(written, link_token) -> None:
    # Exactly how Django's development server logs a request line (WSGIRequestHandler).
    server = logging.getLogger("django.server")
    for line in (
        f"GET /resync/callback/?code={CODE}&state={STATE} HTTP/1.1",
        f"GET /resync/{link_token}/start/ HTTP/1.1",
        f"GET /accounts/microsoft/login/callback/?state={STATE}&code={CODE} HTTP/1.1",
        f"GET /install/slack/callback/?code={CODE}&state={STATE} HTTP/1.1",
    ):
        server.warning('"%s" %s %s', line, "404", "179")
    logging.getLogger("accounts.resync").error("re-sync failed for /resync/%s/", link_token)
    assert "[redacted]" in written.getvalue()  # the lines were written, masked
    for secret in (CODE, STATE, link_token):
        assert secret not in written.getvalue()


def test_it_redacts_through_a_handler_a_library_brings(link_token) -> None:
    out = io.StringIO()
    lib = logging.getLogger("some.library")
    handler = logging.StreamHandler(out)
    lib.addHandler(handler)
    lib.propagate = False
    try:
        redact_every_handler()
        lib.warning("callback ?code=%s&state=%s for /resync/%s/", CODE, STATE, link_token)
    finally:
        lib.removeHandler(handler)
        lib.propagate = True
    assert "[redacted]" in out.getvalue()
    for secret in (CODE, STATE, link_token):
        assert secret not in out.getvalue()


def test_every_configured_handler_redacts() -> None:
    handlers = list(logging.getLogger().handlers)
    for name in ("django", "django.server", "django.request", "django-q"):
        handlers += logging.getLogger(name).handlers
    assert handlers
    for handler in handlers:
        if type(handler).__module__.startswith("_pytest"):
            continue  # pytest's own capture, not part of the app's configuration
        assert any(isinstance(f, RedactTokensFilter) for f in handler.filters), handler
