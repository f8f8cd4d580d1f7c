from django.core.management.base import BaseCommand

from luoshi.notify.services import deliver_due


class Command(BaseCommand):
    help = (
        "Send due notifications once (e-mail, group robots), build digests and retry failures."
        " The worker runs the same pass every minute; this is for a manual run or cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500, help="messages in this pass")

    def handle(self, *args, limit=500, verbosity=1, **o):
        stats = deliver_due(limit=limit)
        if verbosity > 1 or (verbosity and any(stats[k] for k in ("sent", "failed", "retrying"))):
            self.stdout.write(" ".join(f"{k}={v}" for k, v in stats.items()))
