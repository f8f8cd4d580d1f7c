"""The worker's daily job: working days only, once a day, as the system actor."""

import datetime as dt

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import services as ledger
from luoshi.supervision import jobs
from luoshi.supervision.models import TaskLight


def test_runs_once_on_working_days_only(orgtree, monkeypatch):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="日常", year=2026, owner_unit=orgtree.office)
    ledger.create_task(plan, actor=actor, title="甲", responsible_units=[orgtree.a1])
    day = {"d": dt.date(2026, 2, 17)}  # Spring Festival: a day off
    monkeypatch.setattr(jobs.timezone, "localdate", lambda *a: day["d"])
    assert jobs.daily_lights() is None
    assert not TaskLight.objects.exists()
    day["d"] = dt.date(2026, 2, 24)
    result = jobs.daily_lights()
    assert result["tasks"] == 1
    assert result["signals_added"] == 0  # the integrity scan ran after the lights, found none
    assert AuditRecord.objects.filter(object_type="supervision.signals", action="scan").exists()
    assert jobs.daily_lights() is None  # already done today
    recs = AuditRecord.objects.filter(object_type="supervision.lights", action="recompute")
    assert recs.count() == 1 and recs.get().actor_id == actor.pk
