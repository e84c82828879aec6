"""Retrieval with the real default embedder over the shipped knowledge: the targets in
the quality section hold, Chinese and English questions find documents in their own
language, and off-topic questions are not answered with a safety section."""

from pathlib import Path

import pytest
import yaml

from index import Preferences, SearchIndex
from index.evaluate import evaluate, load_questions

EVAL = Path(__file__).resolve().parent / "eval"


def test_eval_set_is_big_and_varied_enough() -> None:
    questions = load_questions(EVAL / "questions.yaml")
    assert len(questions) >= 100
    assert sum(q.lang == "en" for q in questions) >= 20
    assert len({q.topic for q in questions}) == 8


def test_eval_labels_name_real_documents(real_index: SearchIndex) -> None:
    ids = {c.doc_id for c in real_index.chunks}
    unknown = {d for q in load_questions(EVAL / "questions.yaml") for d in q.docs} - ids
    assert unknown == set()


def test_hybrid_meets_the_quality_targets(real_index: SearchIndex) -> None:
    metrics = evaluate(real_index, load_questions(EVAL / "questions.yaml"), "hybrid")
    assert metrics.topic_hit1 >= 0.85, metrics.misses
    assert metrics.doc_hit3 >= 0.85


@pytest.mark.parametrize(
    ("question", "lang", "topic"),
    [
        ("孩子暑假想去水库游泳，我该怎么说他", "zh", "drowning"),
        ("孩子暑假想去水庫游泳，我該怎麼說他", "zh", "drowning"),
        ("萝卜刀算不算管制刀具", "zh", "violence"),
        ("my son wants to swim in the river with his friends this summer", "en", "drowning"),
        ("my daughter is being bullied at school, what should I do", "en", "violence"),
    ],
)
def test_question_finds_a_document_in_its_own_language(
    real_index: SearchIndex, question: str, lang: str, topic: str
) -> None:
    hit = real_index.search(question, prefs=Preferences(audience="parent")).hits[0]
    assert (hit.chunk.lang, hit.chunk.topic) == (lang, topic)


def test_most_off_topic_questions_are_not_confident(real_index: SearchIndex) -> None:
    offtopic = yaml.safe_load((EVAL / "offtopic.yaml").read_text(encoding="utf-8"))
    confident = sum(real_index.search(q).confident for q in offtopic)
    assert confident / len(offtopic) <= 0.25
    assert real_index.search("孩子暑假想去河里游泳怎么办").confident
