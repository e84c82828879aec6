"""A section is the unit of retrieval: the bot answers with one section, so each chunk
carries its document's title, heading, audiences and source with it. Only a section too
long to embed well is split, at paragraph boundaries."""

from dataclasses import asdict, dataclass

from index.knowledge import Document, Knowledge

MAX_CHARS = 900


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    title: str
    topic: str
    audiences: tuple[str, ...]
    grades: tuple[str, ...]
    lang: str
    kind: str
    section: str
    text: str
    source: str
    url: str | None
    expires: str | None
    questions: tuple[str, ...] = ()  # what people ask that this section answers: extra search keys

    @property
    def embed_text(self) -> str:
        """What the embedder and BM25 see: title and heading give a short section its
        context ("## 为什么不能控水" alone says little)."""
        return f"{self.title}\n{self.section}\n{self.text}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> "Chunk":
        data = dict(data)
        data["audiences"] = tuple(data["audiences"])  # type: ignore[arg-type]
        data["grades"] = tuple(data["grades"])  # type: ignore[arg-type]
        data["questions"] = tuple(data.get("questions") or ())  # type: ignore[arg-type]
        return cls(**data)  # type: ignore[arg-type]


def _split(text: str) -> list[str]:
    if len(text) <= MAX_CHARS:
        return [text]
    parts: list[str] = []
    current = ""
    for paragraph in text.split("\n\n"):
        if current and len(current) + len(paragraph) > MAX_CHARS:
            parts.append(current.strip())
            current = ""
        current += paragraph + "\n\n"
    if current.strip():
        parts.append(current.strip())
    return parts


def chunk_document(doc: Document) -> list[Chunk]:
    meta = doc.meta
    chunks = []
    for section in doc.sections:
        own = doc.source_of(section)
        for part in _split(section.text):
            chunks.append(
                Chunk(
                    doc_id=meta.id,
                    title=meta.title,
                    topic=meta.topic,
                    audiences=section.audiences or tuple(meta.audiences),
                    grades=tuple(meta.grades),
                    lang=meta.lang,
                    kind=meta.kind,
                    section=section.heading,
                    text=part,
                    source=own.cite(),
                    url=own.url,
                    expires=meta.expires.isoformat() if meta.expires else None,
                    questions=section.questions,
                )
            )
    return chunks


def chunk_knowledge(knowledge: Knowledge) -> list[Chunk]:
    return [chunk for doc in knowledge.documents for chunk in chunk_document(doc)]
