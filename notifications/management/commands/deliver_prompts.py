"""``manage.py deliver_prompts``: run the outbox now (recover, remind, deliver), once or in a loop.

The django-q2 schedule does the same every minute; this command is for scripts, for draining
the outbox by hand, and for the crash test (``--pause-after-send`` holds each delivered row
between the send and its record, so a test can kill the process inside that window).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications import delivery, tasks


class Command(BaseCommand):
    help = "Recover stuck outbox rows, write due reminders, deliver due messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep going until interrupted.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between passes.")
        parser.add_argument(
            "--pause-after-send",
            type=float,
            default=0.0,
            help="Seconds to wait between a send and its record (crash testing only).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Refused, not quietly replaced: a mistyped value should be seen, not guessed at.
        if not options["interval"] > 0:
            raise CommandError(
                f"--interval must be a positive number of seconds, not {options['interval']}"
            )
        if not options["pause_after_send"] >= 0:
            raise CommandError(
                "--pause-after-send must be zero or more seconds, "
                f"not {options['pause_after_send']}"
            )
        delivery.PAUSE_AFTER_SEND = options["pause_after_send"]
        while True:
            result = tasks.tick()
            self.stdout.write(str(result))
            self.stdout.flush()
            if not options["loop"]:
                return
            time.sleep(options["interval"])
