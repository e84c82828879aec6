"""The built index is one directory; its manifest records how it was built so that a
search with another embedder, or over changed knowledge, is caught instead of returning
silent nonsense."""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index.errors import IndexCorruptError

FORMAT = 2  # 2: sections' questions as extra keys
MANIFEST = "manifest.json"
CHUNKS = "chunks.json"
DENSE = "dense.faiss"
LEXICAL = "bm25"
SCOPE = "scope.npy"
QUESTIONS = "questions.faiss"
QUESTION_CHUNKS = "question_chunks.npy"


@dataclass(frozen=True)
class Manifest:
    format: int
    embedder: str
    dim: int
    documents: int
    chunks: int
    knowledge_hash: str
    built_at: str
    versions: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(json.dumps(asdict(self), indent=2, ensure_ascii=False))

    @classmethod
    def read(cls, directory: Path) -> "Manifest":
        try:
            data = json.loads((directory / MANIFEST).read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexCorruptError(
                f"index manifest in {directory} is unreadable ({exc.__class__.__name__}); "
                "run `safebot index build --rebuild`"
            ) from exc
