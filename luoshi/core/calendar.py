"""The working calendar as configured: the package's arrangement plus the admin's overrides."""

from luoshi.core.models import CalendarDay, CalendarYear
from luoshi.core.workdays import WorkCalendar


def current_calendar() -> WorkCalendar:
    return WorkCalendar(
        overrides=dict(CalendarDay.objects.values_list("date", "is_working_day")),
        confirmed_years=CalendarYear.objects.values_list("year", flat=True),
    )
