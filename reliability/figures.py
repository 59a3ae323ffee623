"""What a rig counts: prompts as the platforms received them, incidents, checks, errors.

Every figure is read from where it is true: a prompt "delivered" is a message in the sandbox's
inbox (what the platform received, idempotency key included), not an outbox row's status; an
unhandled exception is a log record at ERROR or above (``log.exception`` anywhere in the
project, a failed queue task, a 500 in the server) or an exception that escaped a thread.

A script's report is the same for every rig (docs/reliability.md quotes it): a Markdown table,
one line per "must be" verdict, the first few errors, and the raw figures kept in
``var/reliability/<script>.json``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count

from notifications.models import AffectedAccount, Incident, OutboxMessage
from platforms.sandbox.models import SandboxMessage
from reliability import rig
from reliability.world import Broken
from tokens.models import CheckRecord, Credential, CredentialState
from tokens.recording import STATE_FOR_AUDIENCE
from tokens.situations import CATALOGUE, Audience

# A prompt's idempotency key as each platform carries it (Slack metadata, Teams activity id,
# a Webex card id "mio-…" or "MIO_…", Zoom's recorded header): prompt:<incident>:<person>.
PROJECT = (
    "accounts",
    "tokens",
    "notifications",
    "platforms",
    "dashboard",
    "mio_heal",
    "reliability",
)
PROMPT_KEY = re.compile(r"prompt:(\d+):(\d+|operator)(?![\d:])")


def expected_state(situation: str) -> str:
    return STATE_FOR_AUDIENCE[Audience(CATALOGUE[situation].audience)]


def delivered_prompts(since: datetime | None = None) -> Counter:
    """{prompt key: messages the platforms received carrying it}."""
    seen: Counter = Counter()
    messages = SandboxMessage.objects.all()
    if since is not None:
        messages = messages.filter(at__gte=since)
    for payload, content_type in messages.values_list("payload", "content_type").iterator():
        keys = {m.group(0) for m in PROMPT_KEY.finditer(f"{payload}\n{content_type}")}
        seen.update(keys)
    return seen


def duplicates(delivered: Counter) -> int:
    return sum(n - 1 for n in delivered.values() if n > 1)


@dataclass
class Outcome:
    """The soak's and the crash rig's verdict on incidents and prompts."""

    broken: int = 0
    detected: int = 0
    missed: list[int] = field(default_factory=list)
    incidents: int = 0
    false_incidents: int = 0
    transient_prompts: int = 0
    prompt_rows: int = 0
    delivered: int = 0
    by_email: int = 0
    duplicate_prompts: int = 0
    incidents_without_one_prompt: int = 0
    undelivered_rows: int = 0


def judge(broken: Iterable[Broken], since: datetime) -> Outcome:
    """Compare what the engine did since ``since`` with the situations the rig set."""
    broken = list(broken)
    expected = {b.credential_id: b for b in broken}
    out = Outcome(broken=len(broken))
    rows = Credential.objects.filter(pk__in=expected).values_list("pk", "state", "situation")
    for pk, state, situation in rows:
        want = expected[pk]
        if situation == want.situation and state == expected_state(want.situation):
            out.detected += 1
        else:
            out.missed.append(pk)
    incidents = list(Incident.objects.filter(opened_at__gte=since))
    out.incidents = len(incidents)
    affected: dict[int, set[int]] = {}
    for incident_id, credential_id in AffectedAccount.objects.filter(
        incident__in=incidents
    ).values_list("incident_id", "credential_id"):
        affected.setdefault(incident_id, set()).add(credential_id)
    false_ids = set()
    for incident in incidents:
        members = affected.get(incident.pk, set())
        explained = members and all(
            pk in expected and expected[pk].situation == incident.situation for pk in members
        )
        if not explained:
            false_ids.add(incident.pk)
    out.false_incidents = len(false_ids)
    prompts = OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.PROMPT, created_at__gte=since
    ).exclude(status=OutboxMessage.Status.CANCELLED)
    out.prompt_rows = prompts.count()
    out.transient_prompts = (
        prompts.filter(incident_id__in=false_ids).count()
        + prompts.filter(incident__isnull=True).count()
    )
    delivered = delivered_prompts(since)
    out.delivered = sum(1 for n in delivered.values() if n)
    out.duplicate_prompts = duplicates(delivered)
    out.by_email = prompts.filter(
        channel=OutboxMessage.EMAIL, status=OutboxMessage.Status.SENT
    ).count()
    # Every incident: exactly one prompt per recipient that reached them (on a platform, or
    # by email when no platform could take it).
    for incident in incidents:
        for row in prompts.filter(incident=incident):
            on_platform = delivered.get(row.idempotency_key, 0)
            by_mail = row.channel == OutboxMessage.EMAIL and row.status == "sent"
            if on_platform + int(by_mail) != 1:
                out.incidents_without_one_prompt += 1
                break
        else:
            if not prompts.filter(incident=incident).exists():
                out.incidents_without_one_prompt += 1
    out.undelivered_rows = prompts.filter(
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]
    ).count()
    return out


def transient_kinds(since: datetime) -> Counter:
    """The transient faults the checks met since ``since``, by kind."""
    kinds: Counter = Counter()
    records = CheckRecord.objects.filter(
        checked_at__gte=since, outcome=CheckRecord.Outcome.TRANSIENT
    )
    for evidence in records.values_list("evidence", flat=True).iterator():
        evidence = evidence or {}
        status = evidence.get("http_status")
        text = f"{evidence.get('description', '')} {evidence.get('error', '')}".lower()
        if status == 429:
            kinds["429 + Retry-After"] += 1
        elif isinstance(status, int) and status >= 500:
            kinds["5xx"] += 1
        elif "timeout" in text or "timed out" in text:
            kinds["timeout"] += 1
        elif "connection" in text or "network" in text or "reset" in text:
            kinds["connection reset"] += 1
        else:
            kinds["other"] += 1
    return kinds


def checks_per_credential(ids: Iterable[int], since: datetime) -> Counter:
    """{number of checks recorded since ``since``: how many of ``ids`` had that many}."""
    ids = list(ids)
    counts = dict(
        CheckRecord.objects.filter(credential_id__in=ids, checked_at__gte=since)
        .values("credential_id")
        .annotate(n=Count("pk"))
        .values_list("credential_id", "n")
    )
    return Counter(counts.get(pk, 0) for pk in ids)


def still_claimed(ids: Iterable[int] | None = None) -> int:
    rows = Credential.objects.exclude(claimed_by="")
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.count()


def healing(ids: Iterable[int]) -> int:
    return Credential.objects.filter(pk__in=list(ids), state=CredentialState.HEALING).count()


class ErrorLog(logging.Handler):
    """Counts log records at ERROR and above, and exceptions that escape a thread."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info and not record.name.startswith(PROJECT):
            # Without a traceback, a library's ERROR line is about something it handled: a 5xx
            # the view chose to answer (the sandbox's injected faults, logged by Django), a
            # failed call slack-sdk raises to our code, which classifies it.
            return
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += f" [{type(record.exc_info[1]).__name__}: {record.exc_info[1]}]"
        with self._lock2:
            self.records.append(text[:500])

    @property
    def count(self) -> int:
        return len(self.records)


@contextmanager
def errors_logged() -> Iterator[ErrorLog]:
    """Collect every ERROR record (root and Django's own loggers) and thread escape."""
    handler = ErrorLog()
    # Django's loggers do not propagate to the root (settings.LOGGING); django-q's do.
    loggers = [logging.getLogger(), logging.getLogger("django")]
    for logger in loggers:
        logger.addHandler(handler)
    saved = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        handler.records.append(
            f"thread {args.thread.name if args.thread else '?'}: {args.exc_value!r}"
        )
        saved(args)

    threading.excepthook = hook
    try:
        yield handler
    finally:
        threading.excepthook = saved
        for logger in loggers:
            logger.removeHandler(handler)


def markdown(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def figure_table(rows: Iterable[Sequence[Any]]) -> str:
    """A table of one figure a row (the soak's and the crash rig's)."""
    return markdown(["figure", "value"], rows)


def verdict_lines(must_hold: Mapping[str, bool]) -> list[str]:
    return [f"- {name}: {'holds' if held else 'DOES NOT HOLD'}" for name, held in must_hold.items()]


def report(
    script: str, result: Any, table: str, errors: Sequence[str] = (), *, errors_heading: str = ""
) -> None:
    """Keep ``result`` (a dataclass with ``must_hold``) in var/reliability/<script>.json, and
    print ``table``, the verdicts and the first 20 ``errors`` (under ``errors_heading``, if
    any)."""
    path = rig.RIG_DIR / f"{script}.json"
    path.write_text(json.dumps(asdict(result), indent=2, default=str))
    print(table)
    for line in verdict_lines(result.must_hold):
        print(line)
    shown = list(errors)[:20]
    if shown and errors_heading:
        print(f"\n{errors_heading}")
    for line in shown:
        print(f"    {line}")
