"""`safebot kb check`: every knowledge file loaded and validated, with nothing from `bot`
(the schemas of triage, reminders, the calendar and the lesson data live here in
`index`). Problems are collected with their file and line; the rule files, which stop at
their first problem, are checked only when everything else is clean."""

import re
from dataclasses import dataclass
from pathlib import Path

from index.knowledge import HOTLINES_FILE, Document, Knowledge, Problem, load_knowledge
from index.lesson_file import lesson_problems
from index.models import Source
from index.quizzes import load_quizzes
from index.reminder_file import load_reminder_files
from index.triage_file import load_triage_file
from index.triage_model import load_examples


@dataclass(frozen=True)
class Report:
    knowledge: Knowledge
    problems: list[Problem]
    quiz_questions: int
    triage_examples: int

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]

    def summary(self) -> str:
        return (
            f"ok: {len(self.knowledge.documents)} documents, {len(self.knowledge.hotlines)} hotlines, "
            f"{self.quiz_questions} quiz questions, {self.triage_examples} triage examples"
        )


def find_problems(root: Path) -> Report:
    """Documents, hotlines, quizzes, lesson data and triage examples: every problem."""
    knowledge = load_knowledge(root)
    quizzes = load_quizzes(root, knowledge.hotlines, {d.meta.id for d in knowledge.documents})
    example_problems: list[Problem] = []
    examples = load_examples(root, example_problems)
    problems = [
        *knowledge.problems,
        *source_problems(knowledge),
        *quizzes.problems,
        *lesson_problems(knowledge),
        *example_problems,
    ]
    count = sum(len(qs) for qs in quizzes.by_topic.values())
    return Report(knowledge, problems, count, len(examples))


def source_problems(knowledge: Knowledge) -> list[Problem]:
    """Every source of a document or a hotline can be found again and placed in time: an
    address (`url` or `doc_no`) and a date (`date`, or `accessed`: the day someone read a
    page that shows none). Each problem names the line of the source's entry."""
    problems: list[Problem] = []
    for doc in knowledge.documents:
        lines = _source_lines(doc)
        for n, source in enumerate(doc.meta.sources, 1):
            line = lines[n - 1] if len(lines) == len(doc.meta.sources) else 1
            problems += _unplaced(source, doc.path, line, f"source {n}")
    path = knowledge.root / HOTLINES_FILE
    text = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    for key, hotline in knowledge.hotlines.items():
        start = next((i for i, line in enumerate(text, 1) if line.startswith(f"{key}:")), 1)
        for n, source in enumerate(hotline.sources, 1):
            problems += _unplaced(source, path, start, f"hotline '{key}' source {n}")
    return problems


def _unplaced(source: Source, path: Path, line: int, name: str) -> list[Problem]:
    problems = []
    if not (source.url or source.doc_no):
        problems.append(Problem(path, line, f"{name} has no address (url or doc_no)"))
    if not (source.date or source.accessed):
        problems.append(Problem(path, line, f"{name} has no date (date or accessed)"))
    return problems


_LIST_ITEM = re.compile(r"^\s+-\s")
_TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_]")


def _source_lines(doc: Document) -> list[int]:
    """The 1-based lines where the front matter's `sources:` entries start."""
    lines = doc.path.read_text(encoding="utf-8").splitlines()
    found: list[int] = []
    in_sources = False
    for number, line in enumerate(lines[1:], 2):
        if line.strip() == "---":
            break
        if _TOP_LEVEL_KEY.match(line):
            in_sources = line.startswith("sources:")
        elif in_sources and _LIST_ITEM.match(line):
            found.append(number)
    return found


def check_rule_files(knowledge: Knowledge, calendar_file: Path | None = None) -> None:
    """triage.yaml, and reminders.yaml with the school calendar when there are reminders:
    the first problem raises a KnowledgeError naming its file."""
    load_triage_file(knowledge.root / "triage.yaml", knowledge)
    if (knowledge.root / "reminders.yaml").exists():
        load_reminder_files(knowledge, calendar_file)
