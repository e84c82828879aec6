"""Quizzes: every shipped question fits a Telegram quiz poll, and broken files are
reported with file and line."""

from pathlib import Path

from bot.settings import REPO_KNOWLEDGE
from index.knowledge import load_knowledge
from index.quizzes import load_quizzes
from index.vocab import TOPICS


def _load(root: Path):
    knowledge = load_knowledge(root)
    return load_quizzes(root, knowledge.hotlines, {d.meta.id for d in knowledge.documents})


def test_shipped_quizzes_are_valid_and_cover_every_topic() -> None:
    quizzes = _load(REPO_KNOWLEDGE)
    assert [str(p) for p in quizzes.problems] == []
    for topic in TOPICS:
        assert len([q for q in quizzes.by_topic[topic] if q.lang == "zh"]) >= 10, topic
    rendered = " ".join(q.question + " ".join(q.options) for qs in quizzes.by_topic.values() for q in qs)
    assert "{{" not in rendered


def test_pick_prefers_grade_and_language() -> None:
    quizzes = _load(REPO_KNOWLEDGE)
    picked = quizzes.pick("drowning", "high", "en", 3)
    assert len(picked) == 3 and all(q.lang == "en" for q in picked)
    zh = quizzes.pick("public_health", "primary", "en", 5)  # no English questions: Chinese ones
    assert zh and all(q.lang == "zh" and "primary" in q.grades for q in zh)
    assert quizzes.pick("drowning", "middle", "zh", 5, seed=1) != quizzes.pick("drowning", "middle", "zh", 5, seed=2)


def test_broken_quiz_is_reported_with_line(knowledge_copy: Path) -> None:
    path = knowledge_copy / "quizzes" / "traffic.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("answer: 0", "answer: 7", 1), encoding="utf-8")
    problems = [str(p) for p in _load(knowledge_copy).problems]
    assert len(problems) == 1 and "traffic.yaml:" in problems[0] and "not the index of an option" in problems[0]
    assert "traffic.yaml:1:" not in problems[0], "the line of the broken question"
    path.write_text("topic: traffic\nquestions: [\n", encoding="utf-8")
    assert any("invalid YAML" in str(p) for p in _load(knowledge_copy).problems)


def test_unknown_document_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "quizzes" / "violence.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("doc: violence-student-zh", "doc: no-such-doc", 1), encoding="utf-8")
    assert any("cites unknown document 'no-such-doc'" in str(p) for p in _load(knowledge_copy).problems)
