"""Query time of the FAISS and BM25 parts, and of the whole search without the query
embedding, at 1k, 10k and 100k synthetic chunks (random unit vectors; texts drawn from
the real vocabulary with a Zipf-like frequency), so growth of the knowledge base can be
planned.

    python benchmarks/scaling.py [--queries N]
"""

import argparse
import statistics
import time
from collections.abc import Sequence

import bm25s
import faiss
import numpy as np

from index.chunking import Chunk
from index.manifest import FORMAT, Manifest
from index.search import SearchIndex
from index.text import normalize, tokenize

DIM = 384
QUESTIONS = [
    "孩子暑假想去水库游泳怎么办",
    "萝卜刀算管制刀具吗",
    "my child is bullied at school",
    "电动车带孩子要注意什么",
    "孩子说活着没意思",
    "校园贷注销是真的吗",
]


class FixedEmbedder:
    """Returns precomputed vectors, so timings exclude the query embedding."""

    id = "fixed"
    dim = DIM

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        v = self._rng.standard_normal((len(texts), DIM)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def encode_passages(self, texts: Sequence[str], progress=None) -> np.ndarray:  # type: ignore[no-untyped-def]
        return self.encode_queries(texts)


def synthetic(n: int, rng: np.random.Generator, vocab: list[str]) -> SearchIndex:
    vectors = rng.standard_normal((n, DIM)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    dense = faiss.IndexFlatIP(DIM)
    dense.add(vectors)
    weights = 1.0 / np.arange(1, len(vocab) + 1)
    weights /= weights.sum()
    corpus = [list(rng.choice(vocab, size=60, p=weights)) for _ in range(n)]
    lexical = bm25s.BM25()
    lexical.index(corpus, show_progress=False)
    chunk = Chunk(
        "doc", "title", "drowning", ("parent",), ("primary",), "zh", "guide", "section", "text", "source", None, None
    )
    manifest = Manifest(FORMAT, "fixed", DIM, n, n, "", "", {})
    return SearchIndex(manifest, [chunk] * n, dense, lexical, np.zeros((0, DIM), np.float32), FixedEmbedder(rng))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    from bot.settings import REPO_KNOWLEDGE
    from index.knowledge import load_knowledge

    knowledge = load_knowledge(REPO_KNOWLEDGE)
    vocab = sorted({t for d in knowledge.documents for s in d.sections for t in tokenize(normalize(s.text))})
    print(f"vocabulary {len(vocab)} tokens, {args.queries} queries per size, times in ms per query\n")
    print(f"{'chunks':>8} {'faiss p50':>10} {'bm25 p50':>10} {'search p50':>11} {'search p95':>11}")
    for n in (1_000, 10_000, 100_000):
        index = synthetic(n, rng, vocab)
        faiss_ms, bm25_ms, total_ms = [], [], []
        for i in range(args.queries):
            q = QUESTIONS[i % len(QUESTIONS)]
            vector = index._embedder.encode_queries([q])
            t0 = time.perf_counter()
            index._dense.search(vector, 50)
            t1 = time.perf_counter()
            index._lexical.get_scores([t for t in tokenize(normalize(q)) if t in index._vocab] or [vocab[0]])
            t2 = time.perf_counter()
            index.search(q)
            t3 = time.perf_counter()
            faiss_ms.append((t1 - t0) * 1000)
            bm25_ms.append((t2 - t1) * 1000)
            total_ms.append((t3 - t2) * 1000)
        p95 = sorted(total_ms)[int(0.95 * (len(total_ms) - 1))]
        print(
            f"{n:>8} {statistics.median(faiss_ms):>10.2f} {statistics.median(bm25_ms):>10.2f} "
            f"{statistics.median(total_ms):>11.2f} {p95:>11.2f}"
        )


if __name__ == "__main__":
    main()
