import json
from dataclasses import asdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.org.importer import OrgImportFailed, import_people, import_units


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
        fn = import_units if what == "units" else import_people
        try:
            report = fn(path.read_bytes(), path.name, commit=commit)
        except OrgImportFailed as exc:
            report = exc.report
        if as_json:
            self.stdout.write(json.dumps(asdict(report), ensure_ascii=False))
        else:
            self.stdout.write(
                f"{report.rows} rows: {report.new} new, {report.existing} existing"
                f"{' — committed' if report.committed else ''}"
            )
            for e in report.errors:
                self.stdout.write(f"  row {e['row']} [{e['column']}] “{e['value']}”: {e['reason']}")
        if report.errors:
            raise SystemExit(1)
