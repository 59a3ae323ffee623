"""Structured logs: one JSON object per line, with the request id or the queue task id.

``LOG_FORMAT=json`` swaps the console handler's formatter for ``JsonFormatter``; the handler
keeps its filters, so the redaction filter (``mio_heal.logging``) has already masked the
message and the traceback by the time a record reaches the formatter.

The ids travel in context variables: ``RequestIdMiddleware`` sets one per HTTP request (from a
proxy's ``X-Request-ID`` when it is a sane token, else a fresh one, and echoes it back), and
django-q2's ``pre_execute`` signal sets the task id in the worker before each task runs.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
task_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)

# A proxy's id is kept only when it cannot smuggle anything into a log line.
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "logger", "message", "request_id"?, "task_id"?, "exc"?}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := request_id.get():
            event["request_id"] = rid
        if tid := task_id.get():
            event["task_id"] = tid
        if record.exc_info:
            # The redaction filter stored the masked traceback in exc_text.
            event["exc"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(event, ensure_ascii=False, default=str)


class RequestIdMiddleware:
    """Gives each request an id for its log lines, and returns it as ``X-Request-ID``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-ID", "")
        rid = given if _SANE_ID.match(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        try:
            response = self.get_response(request)
        finally:
            request_id.reset(token)
        response.headers.setdefault("X-Request-ID", rid)
        return response


def task_started(sender: Any = None, func: Any = None, task: dict | None = None, **_: Any):
    """``pre_execute`` receiver: the worker's log lines carry this task's id until the next."""
    task_id.set((task or {}).get("id"))
