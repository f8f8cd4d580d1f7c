from django.core.management.base import BaseCommand

from luoshi.core.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain end to end."

    def handle(self, *args, **o):
        ok, count, message = verify_chain()
        if not ok:
            self.stderr.write(self.style.ERROR(f"BROKEN after {count} records: {message}"))
            raise SystemExit(1)
        self.stdout.write(f"audit chain intact: {count} records")
