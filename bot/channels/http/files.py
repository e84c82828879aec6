"""Files the engine made (lesson material), kept a few minutes for their download link."""

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StoredFile:
    owner: str
    filename: str
    data: bytes
    expires: float


class FileShelf:
    """Files the engine made (lesson material) kept a few minutes for their download
    link; only the principal they were made for can fetch them."""

    def __init__(self, ttl: float = 600.0, capacity: int = 200, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._files: OrderedDict[str, StoredFile] = OrderedDict()

    def put(self, owner: str, filename: str, data: bytes) -> str:
        self._expire()
        while len(self._files) >= self.capacity:
            self._files.popitem(last=False)
        token = secrets.token_urlsafe(16)
        self._files[token] = StoredFile(owner, filename, data, self.clock() + self.ttl)
        return token

    def get(self, owner: str, token: str) -> StoredFile | None:
        self._expire()
        found = self._files.get(token)
        return found if found is not None and secrets.compare_digest(found.owner, owner) else None

    def _expire(self) -> None:
        now = self.clock()
        for token in [t for t, f in self._files.items() if f.expires < now]:
            del self._files[token]
