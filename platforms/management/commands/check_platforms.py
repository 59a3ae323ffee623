"""``manage.py check_platforms [--platform KEY]... [--json]``: do the platform apps work?

Exit status 0 when every configured platform's credentials work, 1 when one does not.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from platforms.appcheck import APP_CHECKS, run


class Command(BaseCommand):
    help = (
        "Verify each configured platform app's credentials against the platform and say "
        "exactly what is wrong and where to fix it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--platform", action="append", choices=sorted(APP_CHECKS))
        parser.add_argument("--json", action="store_true", help="one JSON list of findings")

    def handle(self, *args: Any, **options: Any) -> None:
        findings = run(options["platform"])
        broken = [f for f in findings if not f.ok]
        if options["json"]:
            self.stdout.write(json.dumps([f.as_dict() for f in findings], indent=2))
        else:
            for f in findings:
                mark = "skip" if f.skipped else ("ok" if f.ok else "FAIL")
                self.stdout.write(f"[{mark:>4}] {f.platform:<6} {f.item}")
                if f.skipped or not f.ok:
                    for label, text in (("what", f.problem), ("fix", f.fix), ("said", f.detail)):
                        if text:
                            self.stdout.write(f"         {label}: {text}")
            self.stdout.write(
                f"\n{len(broken)} problem(s) found."
                if broken
                else "\nAll configured platform apps work."
            )
        if broken:
            sys.exit(1)
