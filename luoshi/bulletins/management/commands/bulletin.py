"""luoshi bulletin --plan NAME [--today YYYY-MM-DD] --docx FILE [--pdf FILE]"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.bulletins import documents, services
from luoshi.core.actors import system_actor
from luoshi.core.cli import day_option
from luoshi.core.errors import RuleViolation
from luoshi.ledger.cli import plan_named


class Command(BaseCommand):
    help = (
        "Draft a bulletin of the plan for the month of --today from the data as of that day, as"
        " the system actor (the same code as the page), and write it as .docx (GB/T 9704) and,"
        " with --pdf, as PDF (LibreOffice)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="the plan (by name)")
        parser.add_argument("--today", help="the data as of this day, YYYY-MM-DD (default today)")
        parser.add_argument("--docx", required=True, help="write the .docx here")
        parser.add_argument("--pdf", help="also write the PDF here")

    def handle(self, *args, **options):
        actor = system_actor()
        today = day_option(options["today"])
        plan = plan_named(actor, options["plan"])
        try:
            bulletin = services.draft(actor=actor, plan=plan, today=today)
            docx = documents.write_docx(bulletin)
            pdf = documents.write_pdf(docx) if options["pdf"] else None
        except (RuleViolation, documents.DocumentError) as exc:
            raise CommandError(str(exc)) from exc
        Path(options["docx"]).write_bytes(docx)
        if pdf is not None:
            Path(options["pdf"]).write_bytes(pdf)
        t = bulletin.content["totals"]
        self.stdout.write(
            f"{bulletin.title}: {t['tasks']} tasks, {t['red']} red, "
            f"{t['missing_reports']} missing reports -> {options['docx']}"
            + (f", {options['pdf']}" if pdf is not None else "")
        )
