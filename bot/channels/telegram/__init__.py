"""The Telegram channel: the python-telegram-bot application and its wiring (`app`), the
update handlers (`handlers`), replies as Telegram shows them (`render`), the deliverer the
outbox sender hands Telegram rows to (`delivery`), and its HTTP client (`request`)."""
