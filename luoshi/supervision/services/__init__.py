"""Supervision's services, one module per record kind; every write in the app goes through
them (keyword-only `actor`, rights checked, audited in the same transaction).

* lights: recompute and store every task's light (set-based), its history
* problems: raise, respond, resolve / declare unsolvable, escalate past SLA (the worker)
* orders: issue (gapless 督办〔YYYY〕N号), respond, verify and close or send back
* due_process: extension requests and appeals, decided with reasons
* integrity: scan for box-ticking signals
"""

from .lights import reasons_text, recompute_lights, recompute_pending, report_facts

__all__ = ["recompute_lights", "recompute_pending", "reasons_text", "report_facts"]
