"""SafeBot: the dialogue, channels, reminders, lessons and the `safebot` CLI."""

import os

# Opt in to python-telegram-bot's future timedelta values (RetryAfter.retry_after) instead
# of a deprecation warning on every access; set before telegram is imported anywhere.
os.environ.setdefault("PTB_TIMEDELTA", "true")
