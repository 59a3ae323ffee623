"""Write docs/platforms-corpus.md from the fixture corpus; ``--check`` only compares."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from platforms import corpus_docs


class Command(BaseCommand):
    help = (
        "Generate docs/platforms-corpus.md (every platform endpoint with its wire-shape "
        "fixtures) from platforms/<platform>/fixtures/. With --check, write nothing and fail "
        "if the file is out of date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit with an error if the file differs from what the corpus generates.",
        )

    def handle(self, *args: Any, check: bool = False, **options: Any) -> None:
        path = corpus_docs.DOC_PATH
        if check:
            if not corpus_docs.is_current(path):
                raise CommandError(
                    f"{path.name} is out of date with the fixture corpus: run "
                    f"`{corpus_docs.COMMAND}` and commit the result."
                )
            self.stdout.write(f"{path.name} is up to date.")
            return
        changed = corpus_docs.write(path)
        self.stdout.write(f"{'Wrote' if changed else 'Unchanged:'} {path}")
