"""`luoshi worker`: registers the periodic jobs and runs the django-q2 cluster."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from luoshi.core.jobs import ensure_schedules


class Command(BaseCommand):
    help = "Run the background worker (cycles, reminders, notifications)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help="run every registered job once, in this process, and exit",
        )

    def handle(self, *args, once, **o):
        names = ensure_schedules()
        if once:
            from luoshi.core.jobs import run_all_once

            for name, result in run_all_once().items():
                self.stdout.write(f"{name}: {result}")
            return
        self.stdout.write(f"worker: {len(names)} scheduled jobs: {', '.join(names)}")
        call_command("qcluster")
