"""Every reason the ledger importer can give, for gettext.

The parser and the date reader (luoshi.ledger.importer.parse, luoshi.ledger.dates) stay free of
Django, and the service's own templates are constants too, so makemessages cannot find them where
they are used: this module repeats each template in gettext_noop() so that it is extracted into
django.po. service.translate_reason() looks them up at display time. A test checks that CATALOGUE
and the modules' TEMPLATES hold the same strings.
"""

from django.utils.translation import gettext_noop

CATALOGUE: tuple[str, ...] = (
    # luoshi.ledger.dates
    gettext_noop("empty date text"),
    gettext_noop("unrecognised date text"),
    gettext_noop("impossible date %(date)s"),
    gettext_noop("impossible date: month %(month)s"),
    gettext_noop("impossible date: year %(year)s"),
    gettext_noop("date without a year needs the plan year"),
    gettext_noop("relative deadline needs the hand-off date"),
    gettext_noop("working-day deadline needs the calendar"),
    gettext_noop("more than one date in the text"),
    gettext_noop("not a date: %(value)s"),
    gettext_noop("number %(value)s is not a plausible Excel date (1990-2100)"),
    gettext_noop("unsupported value type %(type)s"),
    gettext_noop("'%(text)s' is a reporting frequency (%(frequency)s), not a deadline"),
    gettext_noop("'%(text)s' looks like a reporting frequency, not a deadline"),
    gettext_noop("more than one completion percentage"),
    gettext_noop("completion percentage %(pct)s%% is over 100"),
    gettext_noop("ongoing work has no milestone date"),
    gettext_noop("milestone '%(fragment)s': %(reason)s"),
    gettext_noop("unsupported frequency value type %(type)s"),
    gettext_noop("unrecognised reporting frequency '%(text)s'"),
    gettext_noop("'%(text)s' is more than once per period"),
    gettext_noop("weekly"),
    gettext_noop("biweekly"),
    gettext_noop("semimonthly"),
    gettext_noop("monthly"),
    gettext_noop("quarterly"),
    gettext_noop("yearly"),
    # luoshi.ledger.importer.parse
    gettext_noop("no header row found: expected columns such as 序号 and 任务名称"),
    gettext_noop("no 序号 (No.) column: tasks cannot be identified"),
    gettext_noop("no 责任单位 (responsible unit) column: the tasks have no responsible unit"),
    gettext_noop("No. is missing"),
    gettext_noop("No. is not a number like 1 or 1.2"),
    gettext_noop("No. is not a number like 1, (一) or (1)"),
    gettext_noop("parent No. %(no)s not found"),
    gettext_noop("duplicate No. %(no)s (also on row %(row)s)"),
    gettext_noop(
        "duplicate No. %(no)s (also on row %(row)s); the cell holds a number, so 1.10 reads as "
        "1.1: format 序号 as text"
    ),
    gettext_noop("section says %(count)s tasks but %(rows)s rows follow"),
    gettext_noop("section says %(count)s tasks but %(rows)s rows follow (%(top)s top-level)"),
    gettext_noop("title is missing"),
    gettext_noop("several lead leaders (%(names)s): %(lead)s taken as the lead"),
    gettext_noop("no responsible unit"),
    gettext_noop("key task must be 是 or 否 (also √, Y/N, ★)"),
    gettext_noop("target is not a number"),
    gettext_noop("target unit %(unit)s differs from measure %(measure)s"),
    gettext_noop("several targets for one task (%(first)s, %(second)s)"),
    gettext_noop("year unknown: give the plan's year"),
    gettext_noop("percent complete is not a number: write 55%%, 55 or 0.55"),
    gettext_noop("percent complete %(value)s is not between 0 and 100"),
    gettext_noop("actual is not a number"),
    gettext_noop("actual's unit %(unit)s differs from measure %(measure)s"),
    gettext_noop("a date is needed here, not ongoing work"),
    gettext_noop("start %(start)s is after the deadline %(deadline)s"),
    # luoshi.ledger.importer.service
    gettext_noop("no sheet has a ledger header row (序号, 任务名称, 责任单位 …)"),
    gettext_noop("the plan's year is not in the title: give it"),
    gettext_noop("several units are named “%(name)s”: map it to one"),
    gettext_noop("unknown unit “%(name)s”: map it to an existing unit or create it"),
    gettext_noop("several people are named “%(name)s”: map it to one"),
    gettext_noop("unknown person “%(name)s”: map it to an existing person or create it"),
    gettext_noop("no unit exists to own the plan"),
    gettext_noop(
        "“%(name)s” stands for several units and none of them is in the tree: left out (map it, "
        "or create those units first)"
    ),
    gettext_noop(
        "“%(name)s” stands for several units and none of them is in the tree: the task has no "
        "responsible unit (map it, or create those units first)"
    ),
    gettext_noop("the unit chosen as parent for “%(name)s” no longer exists"),
    gettext_noop("marked closed (销号 / 已完成) without its evidence: fill in “%(name)s”"),
    gettext_noop("the file is empty"),
    gettext_noop("not an .xlsx workbook (nor .xls or .ods)"),
    gettext_noop("not an .xlsx workbook: %(kind)s"),
    gettext_noop(
        "not a real workbook: a web page or XML file saved as .xls; open it in Excel and save it "
        "as .xlsx"
    ),
    gettext_noop("not a readable workbook: the file is damaged (%(detail)s)"),
    gettext_noop("the workbook is password-protected: remove the password and upload it again"),
    gettext_noop("cannot open the workbook: %(detail)s"),
    gettext_noop("workbook too large (%(size)s MiB > %(limit)s MiB)"),
    gettext_noop("workbook too large when unpacked (%(size)s MiB > %(limit)s MiB)"),
    gettext_noop("workbook too large when unpacked (over %(limit)s MiB)"),
    gettext_noop("workbook has too many parts (%(parts)s > %(limit)s): refused as unsafe"),
    gettext_noop(
        "sheet “%(sheet)s” is too large (%(rows)s rows × %(columns)s columns): delete stray cells "
        "far below or right of the table"
    ),
    gettext_noop("a Word document"),
    gettext_noop("a PowerPoint file"),
    gettext_noop("a zip file"),
)
