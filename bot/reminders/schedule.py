"""Seasonal reminders: knowledge/reminders.yaml says what to send and when, the school
calendar says when the holidays are (their schema: index/reminder_file.py). Everything
here is a pure function of the date, so a whole year can be checked in a test without
waiting for it.

Times are Asia/Shanghai. Nothing is delivered in quiet hours (21:30–07:00 by default):
what falls due then is delivered at 07:00."""

import datetime as dt
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from index.reminder_file import Reminder, SchoolCalendar

TZ = ZoneInfo("Asia/Shanghai")
QUIET_START = dt.time(21, 30)
QUIET_END = dt.time(7, 0)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Occurrence:
    reminder: Reminder
    at: dt.datetime  # when it is delivered (quiet hours already applied), Asia/Shanghai

    @property
    def key(self) -> str:
        """Names the occurrence in the outbox: one delivery per reminder, day and chat."""
        return self.at.date().isoformat()


@cache
def festival_date(name: str, year: int) -> dt.date:
    """The Gregorian date of a festival in `year`; lunar ones through lunar-python."""
    from lunar_python import Lunar

    if name == "national_day":
        return dt.date(year, 10, 1)
    if name == "qingming":
        solar = Lunar.fromYmd(year, 1, 1).getJieQiTable()["清明"]
        return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())
    month, day = {"spring_festival": (1, 1), "lantern": (1, 15), "dragon_boat": (5, 5), "mid_autumn": (8, 15)}[name]
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return dt.date(solar.getYear(), solar.getMonth(), solar.getDay())


def deliver_at(moment: dt.datetime) -> dt.datetime:
    """Move a time inside quiet hours to the next 07:00."""
    local = moment.astimezone(TZ)
    if local.time() >= QUIET_START:
        return dt.datetime.combine(local.date() + dt.timedelta(days=1), QUIET_END, TZ)
    if local.time() < QUIET_END:
        return dt.datetime.combine(local.date(), QUIET_END, TZ)
    return local


def in_quiet_hours(moment: dt.datetime) -> bool:
    return deliver_at(moment) != moment.astimezone(TZ)


def occurrences(reminder: Reminder, calendar: SchoolCalendar, start: dt.date, end: dt.date) -> list[Occurrence]:
    """Every delivery of `reminder` on a day from `start` to `end` (inclusive)."""
    rule = reminder.schedule
    found: list[tuple[dt.date, str]] = []
    if rule.before_event:
        event = calendar.events.get(rule.before_event.event)
        if event is not None:
            found.append((event - dt.timedelta(days=rule.before_event.days), rule.before_event.time))
    elif rule.weekly:
        weekday = WEEKDAYS.index(rule.weekly.weekday)
        day = start
        while day <= end:
            if day.weekday() == weekday and rule.weekly.from_ <= day.strftime("%m-%d") <= rule.weekly.to:
                found.append((day, rule.weekly.time))
            day += dt.timedelta(days=1)
    elif rule.yearly:
        month, mday = (int(x) for x in rule.yearly.date.split("-"))
        for year in range(start.year, end.year + 1):
            try:
                found.append((dt.date(year, month, mday), rule.yearly.time))
            except ValueError:  # 02-29 in a common year
                continue
    elif rule.festival:
        for year in range(start.year, end.year + 2):
            day = festival_date(rule.festival.name, year) - dt.timedelta(days=rule.festival.days)
            found.append((day, rule.festival.time))
    result = []
    for day, hhmm in found:
        hour, minute = (int(x) for x in hhmm.split(":"))
        at = deliver_at(dt.datetime.combine(day, dt.time(hour, minute), TZ))
        if start <= at.date() <= end:
            result.append(Occurrence(reminder, at))
    return result


def upcoming(reminders: list[Reminder], calendar: SchoolCalendar, start: dt.date, days: int) -> list[Occurrence]:
    end = start + dt.timedelta(days=days - 1)
    found = [o for r in reminders for o in occurrences(r, calendar, start, end)]
    return sorted(found, key=lambda o: (o.at, o.reminder.id))


def due(
    reminders: list[Reminder], calendar: SchoolCalendar, now: dt.datetime, grace: dt.timedelta = dt.timedelta(days=2)
) -> list[Occurrence]:
    """Occurrences whose time has come, within `grace`: a scheduler that starts late
    still sends today's reminder, but not last month's."""
    now = now.astimezone(TZ)
    found = upcoming(reminders, calendar, (now - grace).date(), grace.days + 1)
    return [o for o in found if now - grace <= o.at <= now]
