"""SafeBot: the dialogue, channels, reminders, lessons and the `safebot` CLI."""
