"""`safebot kb check`: every knowledge file loaded and validated, with nothing from `bot`
(the schemas of triage, reminders, the calendar and the lesson data live here in
`index`). Problems are collected with their file and line; the rule files, which stop at
their first problem, are checked only when everything else is clean."""

from dataclasses import dataclass
from pathlib import Path

from index.knowledge import Knowledge, Problem, load_knowledge
from index.lesson_file import lesson_problems
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
    problems = [*knowledge.problems, *quizzes.problems, *lesson_problems(knowledge), *example_problems]
    count = sum(len(qs) for qs in quizzes.by_topic.values())
    return Report(knowledge, problems, count, len(examples))


def check_rule_files(knowledge: Knowledge, calendar_file: Path | None = None) -> None:
    """triage.yaml, and reminders.yaml with the school calendar when there are reminders:
    the first problem raises a KnowledgeError naming its file."""
    load_triage_file(knowledge.root / "triage.yaml", knowledge)
    if (knowledge.root / "reminders.yaml").exists():
        load_reminder_files(knowledge, calendar_file)
