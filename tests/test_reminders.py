"""Reminder schedules over a whole school year, quiet hours, lunar festivals, and the
subscription commands."""

import datetime as dt
from pathlib import Path

import pytest

from bot.reminders.book import load_reminders
from bot.reminders.queue import enqueue_due
from bot.reminders.schedule import TZ, deliver_at, due, festival_date, in_quiet_hours, occurrences, upcoming
from bot.settings import REPO_KNOWLEDGE
from bot.store import Store
from bot.store.records import Profile
from index.errors import KnowledgeError
from index.knowledge import load_knowledge
from index.vocab import TOPICS

YEAR_START, YEAR_END = dt.date(2026, 9, 1), dt.date(2027, 8, 31)


@pytest.fixture(scope="module")
def book():
    return load_reminders(load_knowledge(REPO_KNOWLEDGE))


def test_lunar_festivals_of_2027() -> None:
    assert festival_date("spring_festival", 2027) == dt.date(2027, 2, 6)
    assert festival_date("lantern", 2027) == dt.date(2027, 2, 20)
    assert festival_date("qingming", 2027) == dt.date(2027, 4, 5)
    assert festival_date("dragon_boat", 2027) == dt.date(2027, 6, 9)
    assert festival_date("mid_autumn", 2027) == dt.date(2027, 9, 15)
    assert festival_date("national_day", 2027) == dt.date(2027, 10, 1)


def test_quiet_hours_move_to_the_morning() -> None:
    evening = dt.datetime(2027, 6, 1, 22, 0, tzinfo=TZ)
    assert deliver_at(evening) == dt.datetime(2027, 6, 2, 7, 0, tzinfo=TZ)
    assert deliver_at(dt.datetime(2027, 6, 1, 6, 59, tzinfo=TZ)) == dt.datetime(2027, 6, 1, 7, 0, tzinfo=TZ)
    assert deliver_at(dt.datetime(2027, 6, 1, 21, 29, tzinfo=TZ)) == dt.datetime(2027, 6, 1, 21, 29, tzinfo=TZ)
    assert in_quiet_hours(dt.datetime(2027, 6, 1, 23, 0, tzinfo=TZ))
    assert not in_quiet_hours(dt.datetime(2027, 6, 1, 12, 0, tzinfo=TZ))


def test_shipped_reminders_cover_every_topic_both_languages_and_audiences(book) -> None:
    assert len(book.reminders) >= 15
    assert {r.topic for r in book.reminders} == set(TOPICS)
    assert any("en" in r.langs for r in book.reminders) and any("zh" in r.langs for r in book.reminders)
    assert {a for r in book.reminders for a in r.audiences} >= {"parent", "student"}
    for reminder in book.reminders:
        for lang in reminder.langs:
            message = book.render(reminder, lang)
            assert message and "{{" not in message and len(message) < 1500


def test_every_day_of_the_school_year(book) -> None:
    """Run the scheduler every 30 minutes for a year: each occurrence first becomes due
    in the half hour after its time (and stays due only within the grace period, where
    the outbox's unique key makes it one message), never in quiet hours, on the right
    day for its rule, and nothing unexpected is ever due."""
    expected = {(o.reminder.id, o.key): o for o in upcoming(book.reminders, book.calendar, YEAR_START, 365)}
    first_due: dict[tuple[str, str], dt.datetime] = {}
    moment = dt.datetime.combine(YEAR_START, dt.time(0, 0), TZ)
    end = dt.datetime.combine(YEAR_END, dt.time(23, 59), TZ)
    while moment <= end:
        for occ in due(book.reminders, book.calendar, moment):
            first_due.setdefault((occ.reminder.id, occ.key), moment)
        moment += dt.timedelta(minutes=30)
    in_year = {k for k, o in expected.items() if o.at <= end}
    assert in_year <= set(first_due)
    late_from_last_year = {k for k in first_due if k not in expected}
    assert all(
        first_due[k] < dt.datetime.combine(YEAR_START, dt.time(0), TZ) + dt.timedelta(days=3)
        for k in late_from_last_year
    ), late_from_last_year
    for key in in_year:
        occ = expected[key]
        assert occ.at <= first_due[key] < occ.at + dt.timedelta(minutes=30), key
        assert not in_quiet_hours(occ.at), key
        rule = occ.reminder.schedule
        if rule.weekly:  # on its weekday at its time, or moved out of quiet hours to the next 07:00
            at = dt.time.fromisoformat(rule.weekly.time)
            scheduled = [dt.datetime.combine(occ.at.date() - dt.timedelta(days=d), at, TZ) for d in (0, 1)]
            assert any(
                s.strftime("%a").lower()[:3] == rule.weekly.weekday and deliver_at(s) == occ.at for s in scheduled
            ), (key, occ.at)
            assert rule.weekly.from_ <= occ.at.strftime("%m-%d") <= rule.weekly.to
        if rule.before_event:
            event = book.calendar.events[rule.before_event.event]
            assert (event - occ.at.date()).days in (rule.before_event.days, rule.before_event.days - 1)
        if rule.festival:
            day = festival_date(rule.festival.name, occ.at.year)
            assert (day - occ.at.date()).days in (rule.festival.days, rule.festival.days - 1)


def test_summer_and_dragon_boat_reminders_fall_in_2027(book) -> None:
    found = upcoming(book.reminders, book.calendar, dt.date(2027, 5, 1), 92)
    topics = {o.reminder.topic for o in found}
    assert "drowning" in topics
    fridays = [o for o in found if o.reminder.schedule.weekly and o.reminder.schedule.weekly.weekday == "fri"]
    assert fridays and all(o.at.weekday() == 4 for o in fridays)
    dragon = [o for o in found if o.reminder.schedule.festival and o.reminder.schedule.festival.name == "dragon_boat"]
    assert dragon and all(o.at.date() < dt.date(2027, 6, 9) for o in dragon)


def test_a_late_scheduler_still_sends_today_but_not_last_month(book) -> None:
    weekly = next(r for r in book.reminders if r.schedule.weekly)
    [occ] = occurrences(weekly, book.calendar, dt.date(2027, 6, 4), dt.date(2027, 6, 4))
    assert occ in due([weekly], book.calendar, occ.at + dt.timedelta(hours=3))
    assert occ not in due([weekly], book.calendar, occ.at + dt.timedelta(days=30))


def test_a_due_reminder_is_queued_once_for_the_subscribers_it_is_for(book, store: Store) -> None:
    [occ] = [
        o
        for o in upcoming(book.reminders, book.calendar, dt.date(2027, 6, 1), 40)
        if o.reminder.id == "summer-drowning-week-before"
    ]
    r = occ.reminder
    for chat, topic in ((1, r.topic), (2, "traffic")):
        store.save_profile(Profile(chat, r.audiences[0], r.grades[0], r.langs[0]))
        store.subscribe(chat, [topic])

    def added(now: dt.datetime) -> list[int]:
        return [n for o, n in enqueue_due(book, store, now) if o.reminder.id == r.id]

    assert added(occ.at - dt.timedelta(minutes=1)) == []
    assert added(occ.at) == [1]
    assert added(occ.at + dt.timedelta(hours=1)) == [0], "a repeated run queues nothing again"
    rows = store.claim("w", now=occ.at.timestamp(), limit=10, lease=60)
    assert [row.chat_id for row in rows if row.reminder_id == r.id] == [1]


def test_broken_reminder_file_names_the_problem(knowledge_copy: Path) -> None:
    path = knowledge_copy / "reminders.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("event: summer_holiday_start", "event: no_such_event", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown calendar event 'no_such_event'"):
        load_reminders(load_knowledge(knowledge_copy))
    path.write_text(text.replace("{{ hotline(", "{{ hotlin(", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="does not render"):
        load_reminders(load_knowledge(knowledge_copy))


def test_kb_check_validates_calendar_and_reminders(run_cli, knowledge_copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("SAFEBOT_KNOWLEDGE_DIR", str(knowledge_copy))
    assert run_cli("kb", "check").code == 0
    calendar = knowledge_copy / "school_calendar.yaml"
    calendar.write_text(calendar.read_text(encoding="utf-8").replace("2027-07-03", "2027-13-03"), encoding="utf-8")
    result = run_cli("kb", "check")
    assert result.code == 2 and "school_calendar.yaml" in result.err
