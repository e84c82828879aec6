"""Hybrid retrieval: dense (e5 + FAISS) and lexical (BM25 over jieba tokens) rankings
fused by reciprocal rank. Dense catches paraphrases ("娃想去河里玩水"), BM25 catches exact
terms the embedder blurs ("萝卜刀", "12356"); fusion needs no score calibration between
the two. Audience, grade and language are preferences that reorder, not filters, because
a parent is better served by a teacher's section than by nothing."""

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np

from index.chunking import Chunk
from index.embedders import Embedder
from index.errors import IndexCorruptError, IndexMismatchError, IndexMissingError
from index.manifest import CHUNKS, DENSE, FORMAT, LEXICAL, QUESTION_CHUNKS, QUESTIONS, SCOPE, Manifest
from index.text import detect_lang, normalize, tokenize
from index.triage_model import TriageModel

MAX_QUERY_CHARS = 2000
RRF_K = 60
CANDIDATES = 50
# Boosts applied to the fused score. Language matters most: a Chinese reader should get
# the Chinese section even when an English one says the same.
AUDIENCE_BOOST = 0.15
GRADE_BOOST = 0.05
OTHER_LANG_PENALTY = 0.5
# `confident` says a section answers the question. Two signals: the margin by which the
# best passage beats the out-of-scope descriptions in knowledge/scope.yaml (e5
# similarities are compressed: an unrelated Chinese question still scores 0.85 against
# some section), and how close the question is to one a section says it answers (the
# authors' questions, in people's own words). Calibrated on tests/eval/answers (direct
# questions against not-covered, out-of-scope and off-topic ones): 99% of real questions
# stay confident and about one in four of the others does, against four in ten with the
# margin alone. A stricter bar (one in ten) turned away a third of the held-out set's
# real questions, and a parent is better served by the nearest section than by none.
CONFIDENT_FLOOR = 0.75
CONFIDENT_QUESTION = 0.90
# A question this close to one a section says it answers is that question, typed again:
# its section leads, whatever rank fusion (which keeps ranks, not closeness) would say
# (benchmarks/answer_quality.py).
SAME_QUESTION = 0.97


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float
    dense_rank: int | None
    lexical_rank: int | None
    cosine: float

    def to_json(self) -> dict[str, object]:
        c = self.chunk
        return {
            "doc_id": c.doc_id,
            "title": c.title,
            "topic": c.topic,
            "audiences": list(c.audiences),
            "lang": c.lang,
            "section": c.section,
            "text": c.text,
            "score": round(self.score, 6),
            "source": c.source,
        }


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: list[Hit]
    confident: bool
    truncated: bool
    margin: float  # best section's similarity minus the closest out-of-scope description
    question_match: float = 0.0  # similarity of the closest question a section says it answers


@dataclass(frozen=True)
class Preferences:
    audience: str | None = None
    grade: str | None = None
    lang: str | None = None
    topic: str | None = None


class SearchIndex:
    """A loaded index. Open it once per process; searching is read-only and cheap."""

    def __init__(
        self,
        manifest: Manifest,
        chunks: list[Chunk],
        dense: faiss.Index,
        lexical: bm25s.BM25,
        scope: np.ndarray,
        embedder: Embedder,
        triage: TriageModel | None = None,
        questions: faiss.Index | None = None,
        question_chunks: np.ndarray | None = None,
    ) -> None:
        self.manifest = manifest
        self.triage = triage  # the learned triage step, trained with this index
        self._questions = questions
        self._question_chunks = question_chunks if question_chunks is not None else np.zeros(0, np.int64)
        self.chunks = chunks
        self._by_doc: dict[str, list[int]] = {}
        for i, chunk in enumerate(chunks):
            self._by_doc.setdefault(chunk.doc_id, []).append(i)
        self._dense = dense
        self._scope = scope
        self._lexical = lexical
        self._vocab = set(lexical.vocab_dict)
        self._embedder = embedder

    @classmethod
    def load(cls, directory: Path, embedder: Embedder) -> "SearchIndex":
        if not (directory / "manifest.json").exists():
            raise IndexMissingError(f"no index in {directory}: run `safebot index build`")
        manifest = Manifest.read(directory)
        if manifest.format != FORMAT:
            raise IndexMismatchError(
                f"index format {manifest.format} is not {FORMAT}: run `safebot index build --rebuild`"
            )
        if manifest.embedder != embedder.id:
            raise IndexMismatchError(
                f"index was built with embedder '{manifest.embedder}' but SAFEBOT_EMBEDDER is "
                f"'{embedder.id}': run `safebot index build --rebuild` (or set SAFEBOT_EMBEDDER="
                f"{manifest.embedder})"
            )
        try:
            chunks = [Chunk.from_dict(d) for d in json.loads((directory / CHUNKS).read_text())]
            dense = faiss.read_index(str(directory / DENSE))
            lexical = bm25s.BM25.load(str(directory / LEXICAL))
            scope = np.load(directory / SCOPE)
            triage = TriageModel.load(directory)
            questions = faiss.read_index(str(directory / QUESTIONS))
            question_chunks = np.load(directory / QUESTION_CHUNKS)
        except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
            raise IndexCorruptError(
                f"index in {directory} is damaged ({exc.__class__.__name__}): run `safebot index build --rebuild`"
            ) from exc
        if dense.ntotal != len(chunks) or dense.d != manifest.dim:
            raise IndexCorruptError(f"index in {directory} is inconsistent: run `safebot index build --rebuild`")
        return cls(manifest, chunks, dense, lexical, scope, embedder, triage, questions, question_chunks)

    def embed_query(self, query: str) -> np.ndarray:
        """The query vector, exactly as `search` computes it, so a caller that needs it
        too (triage) embeds once."""
        return self._embedder.encode_queries([normalize(query[:MAX_QUERY_CHARS])])

    def search(
        self,
        query: str,
        *,
        top_k: int = 5,
        prefs: Preferences | None = None,
        today: dt.date | None = None,
        mode: str = "hybrid",
        vector: np.ndarray | None = None,
    ) -> SearchResult:
        """`mode` is 'hybrid', 'dense' or 'lexical' (the last two for measuring);
        `vector` is the query's embedding when the caller already has it."""
        prefs = prefs or Preferences()
        today = today or dt.date.today()
        truncated = len(query) > MAX_QUERY_CHARS
        text = normalize(query[:MAX_QUERY_CHARS])
        lang = prefs.lang or detect_lang(text)

        cosines: dict[int, float] = {}
        dense_ranks: dict[int, int] = {}
        question_ranks: dict[int, int] = {}
        question_match = 0.0
        off_scope = 0.0
        if mode in ("hybrid", "dense"):
            if vector is None:
                vector = self._embedder.encode_queries([text])
            if len(self._scope):
                off_scope = float((self._scope @ vector[0]).max())
            k = min(len(self.chunks), CANDIDATES)
            scores, ids = self._dense.search(vector, k)
            for rank, (i, s) in enumerate(zip(ids[0], scores[0], strict=True)):
                if i >= 0:
                    dense_ranks[int(i)] = rank
                    cosines[int(i)] = float(s)
            question_ranks, question_match = self._question_ranks(vector)
        lexical_ranks: dict[int, int] = {}
        if mode in ("hybrid", "lexical"):
            tokens = [t for t in tokenize(text) if t in self._vocab]
            if tokens:
                scores = self._lexical.get_scores(tokens)
                k = min(len(scores), CANDIDATES)
                top = np.argpartition(-scores, k - 1)[:k]
                top = top[np.argsort(-scores[top])]
                lexical_ranks = {int(i): r for r, i in enumerate(top) if scores[i] > 0}

        fused: dict[int, float] = {}
        for ranks in (dense_ranks, lexical_ranks, question_ranks):
            for i, rank in ranks.items():
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        if question_match >= SAME_QUESTION:
            asked = next(i for i, rank in question_ranks.items() if rank == 0)
            leader = max(fused.values())
            if fused[asked] < leader:
                # ahead of any section the asker's role or grade could lift past it; a
                # section already first keeps its score, so a close runner-up is still named
                fused[asked] = leader * (1.0 + AUDIENCE_BOOST + GRADE_BOOST) + 1e-9

        hits: list[Hit] = []
        seen: set[tuple[str, str]] = set()
        for i, score in sorted(fused.items(), key=lambda kv: -self._boost(kv, prefs, lang)):
            chunk = self.chunks[i]
            if prefs.topic and chunk.topic != prefs.topic:
                continue
            if chunk.expires and dt.date.fromisoformat(chunk.expires) < today:
                continue
            key = (chunk.doc_id, chunk.section)
            if key in seen:
                continue
            seen.add(key)
            hits.append(
                Hit(
                    chunk,
                    self._boost((i, score), prefs, lang),
                    dense_ranks.get(i),
                    lexical_ranks.get(i),
                    cosines.get(i, 0.0),
                )
            )
            if len(hits) >= top_k:
                break
        best = max((h.cosine for h in hits), default=0.0)
        margin = best - off_scope
        confident = bool(hits) and (
            mode == "lexical"
            or (
                margin >= 0
                and best >= CONFIDENT_FLOOR
                # a scene told in one's own words ("the classroom is full of smoke")
                # resembles no authored question; a "what to do now" card nearest is enough
                and (question_match >= CONFIDENT_QUESTION or hits[0].chunk.kind == "card")
            )
        )
        return SearchResult(query, hits, confident, truncated, margin, question_match)

    def rank_sections(self, vector: np.ndarray, doc_id: str) -> list[str]:
        """The headings of one document's sections, nearest the query first (the
        section's text or the closest question it says it answers): which section of a
        card a message needs when search did not rank the card among its best."""
        ids = self._by_doc.get(doc_id, [])
        if not ids:
            return []
        score = dict(zip(ids, (self._dense.reconstruct_batch(np.array(ids)) @ vector[0]).tolist(), strict=True))
        asked = np.flatnonzero(np.isin(self._question_chunks, ids))
        if self._questions is not None and len(asked):
            for chunk, s in zip(
                self._question_chunks[asked], self._questions.reconstruct_batch(asked) @ vector[0], strict=True
            ):
                score[int(chunk)] = max(score[int(chunk)], float(s))
        headings: list[str] = []
        for i in sorted(ids, key=lambda i: -score[i]):
            if self.chunks[i].section not in headings:
                headings.append(self.chunks[i].section)
        return headings

    def _question_ranks(self, vector: np.ndarray) -> tuple[dict[int, int], float]:
        """Chunks ranked by their best-matching question (a section answers what people
        ask in their own words better than its text resembles the question), and the
        best question's similarity."""
        if self._questions is None or self._questions.ntotal == 0:
            return {}, 0.0
        scores, ids = self._questions.search(vector, min(self._questions.ntotal, CANDIDATES * 3))
        ranks: dict[int, int] = {}
        for i in ids[0]:
            if i >= 0:
                ranks.setdefault(int(self._question_chunks[i]), len(ranks))
        return ranks, float(scores[0][0]) if len(ids[0]) and ids[0][0] >= 0 else 0.0

    def _boost(self, item: tuple[int, float], prefs: Preferences, lang: str) -> float:
        i, score = item
        chunk = self.chunks[i]
        factor = 1.0
        if prefs.audience and prefs.audience in chunk.audiences:
            factor += AUDIENCE_BOOST
        if prefs.grade and prefs.grade in chunk.grades:
            factor += GRADE_BOOST
        if chunk.lang != lang:
            factor *= OTHER_LANG_PENALTY
        return score * factor
