import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.actors import system_actor
from luoshi.core.importing import ImportFailed
from luoshi.org.importer import Options, run


class Command(BaseCommand):
    help = "Import units or people from a workbook or CSV: a dry run unless --commit."

    def add_arguments(self, parser):
        parser.add_argument("what", choices=["units", "people"])
        parser.add_argument("file")
        parser.add_argument("--commit", action="store_true")
        parser.add_argument("--json", action="store_true", dest="as_json")

    def handle(self, *args, what, file, commit, as_json, **o):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        try:
            report = run(
                path.read_bytes(), Options(what, path.name), actor=system_actor(), commit=commit
            )
        except ImportFailed as exc:
            report = exc.report
        if as_json:
            self.stdout.write(json.dumps(report.summary(), ensure_ascii=False))
        else:
            self.stdout.write(
                f"{report.rows} rows: {report.new} new, {report.unchanged} unchanged"
                f"{' — committed' if report.committed else ''}"
            )
            for e in report.errors:
                self.stdout.write(f"  row {e['row']} [{e['column']}] “{e['value']}”: {e['reason']}")
        if report.errors:
            raise SystemExit(1)
