"""Measuring retrieval on a labelled question set: the numbers the quality targets are
stated in (topic hit@1, document hit@3, MRR), for each retrieval mode, so the value of
dense, lexical and fused ranking is visible side by side."""

from dataclasses import dataclass
from pathlib import Path

from index.knowledge import parse_yaml
from index.search import Preferences, SearchIndex

MODES = ("dense", "lexical", "hybrid")


@dataclass(frozen=True)
class Question:
    q: str
    topic: str
    docs: tuple[str, ...]
    lang: str
    audience: str | None


@dataclass(frozen=True)
class Metrics:
    mode: str
    n: int
    topic_hit1: float
    doc_hit1: float
    doc_hit3: float
    mrr: float
    misses: tuple[tuple[str, str, str], ...]  # (question, expected, got) for topic misses


def load_questions(path: Path) -> list[Question]:
    data = parse_yaml(path.read_text(encoding="utf-8"))
    return [Question(d["q"], d["topic"], tuple(d["docs"]), d.get("lang", "zh"), d.get("audience")) for d in data]


def evaluate(index: SearchIndex, questions: list[Question], mode: str = "hybrid", use_audience: bool = True) -> Metrics:
    topic1 = doc1 = doc3 = 0
    rr = 0.0
    misses = []
    for item in questions:
        prefs = Preferences(audience=item.audience if use_audience else None)
        hits = index.search(item.q, top_k=10, prefs=prefs, mode=mode).hits
        ids = [h.chunk.doc_id for h in hits]
        if hits and hits[0].chunk.topic == item.topic:
            topic1 += 1
        else:
            misses.append((item.q, item.topic, hits[0].chunk.doc_id if hits else "-"))
        doc1 += bool(ids[:1] and ids[0] in item.docs)
        doc3 += any(d in item.docs for d in ids[:3])
        rank = next((r for r, d in enumerate(ids, 1) if d in item.docs), None)
        rr += 1.0 / rank if rank else 0.0
    n = len(questions) or 1
    return Metrics(mode, len(questions), topic1 / n, doc1 / n, doc3 / n, rr / n, tuple(misses))
