"""luoshi import_calendar FILE [--year Y] [--dry-run]: load the State Council's holiday notice."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.actors import system_actor
from luoshi.core.arrangement import parse_notice, summarize
from luoshi.core.calendar import load_arrangement


def read_text(data: bytes) -> str:
    """Notices are saved from gov.cn pages as UTF-8, or by Windows tools as GB18030."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CommandError("the file is neither UTF-8 nor GB18030 text")


class Command(BaseCommand):
    help = (
        "Load the State Council's annual holiday notice (国务院办公厅关于XXXX年部分节假日安排的"
        "通知, as text) into the working calendar and mark its year confirmed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the notice's text (UTF-8 or GB18030); - for stdin")
        parser.add_argument("--year", type=int, help="the year, when the text has no title")
        parser.add_argument("--source", default="", help="citation (default: the notice's title)")
        parser.add_argument("--dry-run", action="store_true", help="show the changes, write none")

    def handle(self, *args, **o):
        if o["file"] == "-":
            text = sys.stdin.read()
        else:
            try:
                text = read_text(Path(o["file"]).read_bytes())
            except OSError as exc:
                raise CommandError(f"cannot read {o['file']}: {exc.strerror or exc}") from exc
        try:
            arr = parse_notice(text, o["year"])
            plan = load_arrangement(
                arr, source=o["source"], actor=system_actor(), dry_run=o["dry_run"]
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(f"{arr.year}: {plan.source}")
        for line in summarize(arr):
            self.stdout.write(f"  {line}")
        for remark in arr.remarks:
            self.stdout.write(f"  (not interpreted) {remark}")
        lines = plan.lines()
        for line in lines:
            self.stdout.write(f"  {line}")
        summary = (
            f"{len(plan.create)} to add, {len(plan.update)} to change, "
            f"{len(plan.delete)} to remove, {plan.unchanged} unchanged"
        )
        if o["dry_run"]:
            self.stdout.write(f"dry run, nothing written: {summary}")
        elif not plan.changed:
            self.stdout.write(f"{arr.year} is already loaded from this notice: nothing changed")
        else:
            self.stdout.write(self.style.SUCCESS(f"loaded {arr.year}: {summary}"))
