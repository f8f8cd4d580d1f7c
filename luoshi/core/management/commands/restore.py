from django.core.management.base import BaseCommand, CommandError

from luoshi.core.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Replace the database with the backup in FILE (made by `luoshi backup`), then verify "
        "its audit chain. Stop the server and the worker first: everything written since the "
        "backup is lost."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, file, interactive=True, **o):
        if interactive:
            answer = input(
                "This replaces the whole database with the backup; everything written since "
                "it is lost. Type 'yes' to continue: "
            )
            if answer.strip() != "yes":
                raise CommandError("restore cancelled")
        try:
            count, set_aside = restore(file)
        except BackupError as e:
            raise CommandError(str(e)) from e
        self.stdout.write(f"restored from {file}; audit chain intact: {count} records")
        if set_aside:
            self.stdout.write(
                f"the checkpoints written before the restore were set aside in {set_aside}"
            )
