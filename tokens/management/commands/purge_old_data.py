"""``manage.py purge_old_data [--dry-run]``: run every app's retention now, print rows per table.

The same purges the daily ``mio-*-retention`` schedules run, in an order that frees what the
next one may delete (notifications drops old messages, which releases the re-sync links they
named). With ``--dry-run`` nothing is deleted: each table's count is what its purge would delete
right now (a link released by a message the real run deletes first is counted on the next run).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts import retention as accounts_retention
from dashboard import retention as dashboard_retention
from mio_heal.retention import Counts, merge
from notifications import retention as notifications_retention
from outbound import retention as outbound_retention
from tokens import tasks
from tokens.events import expired_events
from tokens.models import CheckRecord, ProcessedEvent, WorkspaceBackoff
from tokens.ratelimit import expired_backoffs
from tokens.recording import expired_checks


def purge_tokens(*, dry_run: bool = False) -> Counts:
    """The health engine's retention (``tokens.tasks.purge_history``), or its counts."""
    if not dry_run:
        done = tasks.purge_history()
        return {
            CheckRecord._meta.label: done["checks"],
            ProcessedEvent._meta.label: done["events"],
            WorkspaceBackoff._meta.label: done["backoffs"],
        }
    return {
        CheckRecord._meta.label: expired_checks().count(),
        ProcessedEvent._meta.label: expired_events().count(),
        WorkspaceBackoff._meta.label: expired_backoffs().count(),
    }


PURGES: list[Callable[..., Counts]] = [
    notifications_retention.purge,
    accounts_retention.purge,
    dashboard_retention.purge,
    outbound_retention.purge,
    purge_tokens,
]


def purge_all(*, dry_run: bool = False) -> Counts:
    return merge(*(purge(dry_run=dry_run) for purge in PURGES))


class Command(BaseCommand):
    help = "Delete data past its retention (closed incidents, old links, audit, history...)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        counts = purge_all(dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        width = max(len(label) for label in counts)
        for label in sorted(counts):
            self.stdout.write(f"{label:<{width}}  {verb} {counts[label]}")
