"""The Telegram channel: the python-telegram-bot application (`app`), the deliverer the
outbox sender hands Telegram rows to (`delivery`), and its HTTP client (`request`)."""
