"""Deterministic stand-ins for the outside world, used instead of mocks."""

import hashlib
from collections.abc import Sequence

import numpy as np

from index.embedders import Progress
from index.text import normalize, tokenize


class FakeEmbedder:
    """Hashes tokens into a small vector: texts that share words are similar, and the
    same text always gives the same vector. Counts what it embeds, so tests can see the
    cache at work."""

    def __init__(self, dim: int = 64, name: str = "fake") -> None:
        self.id = f"fake:{name}"
        self._dim = dim
        self.passages_embedded = 0

    @property
    def dim(self) -> int:
        return self._dim

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self._dim, np.float32)
        for token in tokenize(normalize(text)) or ["<empty>"]:
            digest = hashlib.md5(token.encode()).digest()
            vector[digest[0] % self._dim] += 1.0 if digest[1] % 2 else -1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self._vector(t) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def encode_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        self.passages_embedded += len(texts)
        if progress:
            progress(len(texts))
        return self.encode_queries(texts)
