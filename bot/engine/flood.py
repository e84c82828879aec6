"""Flood control for every channel: a user who sends more than `limit` messages in a
minute gets one polite notice, then silence until the window has room again."""

import time
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

FLOOD_LIMIT = 20  # messages a minute from one user before the bot pauses for them
FLOOD_WINDOW = 60.0


@dataclass
class FloodGate:
    """Per-user sliding window. Takes the clock so tests need not sleep."""

    limit: int = FLOOD_LIMIT
    window: float = FLOOD_WINDOW
    clock: Callable[[], float] = time.monotonic
    _seen: dict[Hashable, deque[float]] = field(default_factory=dict)
    _noticed: set[Hashable] = field(default_factory=set)

    def check(self, user: Hashable) -> str:
        """'ok', 'notice' (send the notice once) or 'drop'."""
        now = self.clock()
        seen = self._seen.setdefault(user, deque())
        while seen and now - seen[0] > self.window:
            seen.popleft()
        if len(seen) < self.limit:
            seen.append(now)
            self._noticed.discard(user)
            return "ok"
        if user in self._noticed:
            return "drop"
        self._noticed.add(user)
        return "notice"
