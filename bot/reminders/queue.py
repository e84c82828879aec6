"""The reminder queue: every occurrence of a reminder that is due goes into the outbox,
one row per subscriber it is for (topic, role, grade band, language). The outbox keys a
row by reminder, occurrence and chat, so a late, repeated or concurrent run (the Telegram
bot's job, the HTTP server's clock, cron's `send-due`) never queues a message twice."""

import datetime as dt

from bot.reminders.book import ReminderBook
from bot.reminders.schedule import Occurrence, due
from bot.store import Store


def enqueue_due(book: ReminderBook, store: Store, now: dt.datetime) -> list[tuple[Occurrence, int]]:
    """Queue every occurrence due at `now` for its subscribers: each with how many rows
    it added."""
    queued = []
    for occ in due(book.reminders, book.calendar, now):
        r = occ.reminder
        added = store.enqueue(r.id, occ.key, r.topic, list(r.audiences), list(r.grades), list(r.langs), r.ack)
        queued.append((occ, added))
    return queued
