"""Reminders and broadcasts: when each is due (`schedule`, pure functions of time), what it
says (`book`), and the outbox sender that hands queued rows to each channel's deliverer
(`sender`, through the `delivery` protocol)."""
