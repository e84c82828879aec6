"""Quiz questions (knowledge/quizzes/<topic>.yaml), checked against the limits of a
Telegram quiz poll so that every question can be sent as one."""

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError, model_validator

from index.hotlines import Hotlines
from index.knowledge import Problem, parse_yaml, yaml_problem
from index.models import Strict
from index.vocab import Grade, Lang, Topic

QUIZ_DIR = "quizzes"
# Telegram: question up to 300 characters, 2-10 options of up to 100, explanation up to 200.
MAX_QUESTION, MAX_OPTION, MAX_EXPLANATION = 300, 100, 200


class QuizQuestion(Strict):
    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    lang: Lang
    grades: list[Grade] = Field(min_length=1)
    question: str = Field(min_length=1, max_length=MAX_QUESTION)
    options: list[str] = Field(min_length=2, max_length=10)
    answer: int
    explanation: str = Field(min_length=1, max_length=MAX_EXPLANATION)
    doc: str

    @model_validator(mode="after")
    def _consistent(self) -> "QuizQuestion":
        if not 0 <= self.answer < len(self.options):
            raise ValueError(f"answer {self.answer} is not the index of an option")
        if any(not o.strip() or len(o) > MAX_OPTION for o in self.options):
            raise ValueError(f"options must be 1 to {MAX_OPTION} characters")
        return self


class QuizFile(Strict):
    topic: Topic
    questions: list[QuizQuestion] = Field(min_length=1)


@dataclass(frozen=True)
class Quizzes:
    by_topic: dict[str, list[QuizQuestion]]
    problems: list[Problem]

    def pick(self, topic: str, grade: str | None, lang: str, count: int, seed: int = 0) -> list[QuizQuestion]:
        """`count` questions for the grade and language (falling back to Chinese), in
        an order fixed by `seed`, so a quiz can be replayed."""
        pool = [q for q in self.by_topic.get(topic, []) if q.lang == lang] or [
            q for q in self.by_topic.get(topic, []) if q.lang == "zh"
        ]
        fitting = [q for q in pool if grade is None or grade in q.grades] or pool
        if not fitting:
            return []
        start = seed % len(fitting)
        ordered = fitting[start:] + fitting[:start]
        return ordered[:count]


def load_quizzes(root: Path, hotlines: Hotlines, doc_ids: set[str]) -> Quizzes:
    """Load every quiz file with hotline references filled in; problems are collected
    with file and line like the rest of knowledge/."""
    by_topic: dict[str, list[QuizQuestion]] = {}
    problems: list[Problem] = []
    seen: set[str] = set()
    for path in sorted((root / QUIZ_DIR).glob("*.yaml")):
        raw = path.read_text(encoding="utf-8")
        try:
            data = parse_yaml(hotlines.render(raw))
            quiz = QuizFile.model_validate(data)
        except yaml.YAMLError as exc:
            problems.append(yaml_problem(path, exc))
            continue
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = err["loc"]
            line = 1
            if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int) and isinstance(data, dict):
                ident = data["questions"][loc[1]].get("id", "") if isinstance(data["questions"][loc[1]], dict) else ""
                line = _line_of(raw, rf"id:\s*{re.escape(str(ident))}\b") if ident else 1
            problems.append(Problem(path, line, f"{'.'.join(str(p) for p in loc)}: {err['msg']}"))
            continue
        except ValueError as exc:  # an impossible date or number inside valid YAML
            problems.append(Problem(path, 1, f"invalid value: {exc}"))
            continue
        if path.stem != quiz.topic:
            problems.append(Problem(path, 1, f"file name must be {quiz.topic}.yaml"))
        for q in quiz.questions:
            line = _line_of(raw, rf"id:\s*{re.escape(q.id)}\b")
            if q.id in seen:
                problems.append(Problem(path, line, f"duplicate quiz id '{q.id}'"))
            if q.doc not in doc_ids:
                problems.append(Problem(path, line, f"quiz '{q.id}' cites unknown document '{q.doc}'"))
            for key in hotlines.unknown_references(q.question + "".join(q.options) + q.explanation):
                problems.append(Problem(path, line, f"unknown hotline key '{key}'"))
            seen.add(q.id)
        by_topic.setdefault(quiz.topic, []).extend(quiz.questions)
    return Quizzes(by_topic, problems)


def _line_of(text: str, pattern: str) -> int:
    regex = re.compile(pattern)
    return next((n for n, line in enumerate(text.splitlines(), 1) if regex.search(line)), 1)
