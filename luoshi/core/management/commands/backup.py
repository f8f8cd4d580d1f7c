from django.core.management.base import BaseCommand, CommandError

from luoshi.core.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Copy the database to FILE while the server keeps running (SQLite's online backup; "
        "pg_dump's custom format on PostgreSQL). Uploaded files are copied separately."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **o):
        try:
            path = backup(file)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"backed up to {path} ({path.stat().st_size:,} bytes)")
