from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from .models import CalendarYear
from .workdays import WorkCalendar


def calendar_notice(request):
    """For administrators: the years whose official holiday arrangement is not loaded yet
    (this year, and next year once the State Council usually publishes it in November).
    Lazy: only pages that show the banner pay its one query."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}

    def missing() -> list[int]:
        today = timezone.localdate()
        years = [today.year] + ([today.year + 1] if today.month >= 11 else [])
        confirmed = set(CalendarYear.objects.filter(year__in=years).values_list("year", flat=True))
        cal = WorkCalendar(confirmed_years=confirmed)
        return [y for y in years if cal.is_provisional(today.replace(year=y, month=6, day=1))]

    return {"calendar_years_missing": SimpleLazyObject(missing)}
