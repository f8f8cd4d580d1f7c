from django.core.management.base import BaseCommand

from luoshi.core.audit import checkpoint, verify_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail's hash chain end to end, against its head and the checkpoints "
        "kept outside the database; then, if intact, write a new checkpoint."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-checkpoint", action="store_true", help="check only; write no checkpoint"
        )

    def handle(self, *args, no_checkpoint=False, **o):
        ok, count, message = verify_chain()
        if not ok:
            self.stderr.write(self.style.ERROR(f"BROKEN after {count} records: {message}"))
            raise SystemExit(1)
        self.stdout.write(f"audit chain intact: {count} records")
        if not no_checkpoint and checkpoint() is not None:
            self.stdout.write("checkpoint written")
