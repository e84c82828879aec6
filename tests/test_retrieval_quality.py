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


def test_answers_come_from_the_section_that_answers(real_assistant) -> None:
    """tests/eval/answers/: the section that answers each question comes first for most,
    and the reply holds every fact of the answer key (benchmarks/answer_quality.py has
    the full table; these floors sit under today's figures to catch a regression)."""
    import re

    cases = [c for path in sorted((EVAL / "answers").glob("*.yaml")) for c in yaml.safe_load(path.read_text())]
    cases = [c for c in cases if not c.get("follow_up_of") and c.get("doc")]  # scope.yaml: not answerable
    assert len(cases) >= 250 and sum(c.get("lang") == "en" for c in cases) >= 50
    section_hits = covered = 0
    for case in cases:
        answer = real_assistant.answer(case["q"], Preferences(audience=case.get("audience")))
        reply = answer.reply
        top = answer.result.hits[0].chunk if answer.result.hits else None
        section_hits += bool(top and (top.doc_id, top.section) == (case["doc"], case["section"]))
        covered += all(all(re.search(p, reply, re.IGNORECASE) for p in group) for group in case["answer"])
    assert section_hits / len(cases) >= 0.75
    assert covered / len(cases) >= 0.80


def test_answer_keys_name_real_sections_and_compile() -> None:
    import re

    from bot.settings import REPO_KNOWLEDGE
    from index.knowledge import load_knowledge

    knowledge = load_knowledge(REPO_KNOWLEDGE)
    sections = {(d.meta.id, s.heading) for d in knowledge.documents for s in d.sections}
    for path in sorted((EVAL / "answers").glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            if case.get("kind") in ("not_covered", "out_of_scope"):
                continue
            assert (case["doc"], case["section"]) in sections, (path.name, case["q"])
            assert 1 <= len(case["answer"]) <= 4, case["q"]
            for group in case["answer"]:
                for pattern in group:
                    re.compile(pattern)
