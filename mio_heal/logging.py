"""A logging filter that masks anything shaped like an OAuth token, code or link token.

Defence in depth: the vault never hands out plaintext in ``repr``/``str``, but a platform's raw
error body or a library's debug line could still carry one. Patterns follow the platforms' token
formats (Slack ``xox?-``, JWTs as issued by Entra/Zoom, bearer headers, ``*_token`` form fields),
the values of an OAuth redirect's query (``code=``, ``state=``: a code is redeemable for tokens
until it is used, a state opens the callback), and the signed token of a re-sync link
(``/resync/<token>/``: whoever has it may re-sync that account until it expires). Request lines
(``django.server``, the development server's access log) carry the last two; every logger's
handler has this filter (settings.LOGGING, and ``redact_every_handler`` for libraries that bring
their own), so no line bypasses it.
"""

from __future__ import annotations

import logging
import logging.config
import re

PATTERNS = [
    re.compile(r"xox[a-z]-[A-Za-z0-9-]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(r"(?i)((?:access|refresh|id)_token[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"),
    re.compile(r"(?i)(client_secret[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"),
    # OAuth redirect and authorize queries (and their form posts): the values, not the names.
    re.compile(
        r"(?i)((?:^|[?&\s\"'])(?:code|state|session_state|code_verifier|client_info|"
        r"admin_consent_code|token)=)[^&\s\"'#]+"
    ),
    # A re-sync link's signed token: /resync/<token>/ (not its fixed sub-paths).
    re.compile(r"(/resync/)(?!(?:callback|fresh)/)[^/\s?\"'#]+"),
]


def redact(text: str) -> str:
    for pattern in PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + "[redacted]", text)
        else:
            text = pattern.sub("[redacted]", text)
    return text


def redact_every_handler() -> None:
    """Give every handler of every configured logger (and the root's) the redacting filter.

    ``settings.LOGGING`` routes Django's loggers through the redacting console; a library that
    attaches a handler of its own (or a future LOGGING edit that adds one) would bypass it, so the
    filter is also put on every handler that exists once logging is configured.
    """
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            if not any(isinstance(f, RedactTokensFilter) for f in handler.filters):
                handler.addFilter(RedactTokensFilter())


class RedactTokensFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True


def configure(config: dict) -> None:
    """``LOGGING_CONFIG``: Django's dictConfig, then the filter on every handler there is."""
    logging.config.dictConfig(config)
    redact_every_handler()
