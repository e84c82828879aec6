"""The lesson data: knowledge/lessons/cases.yaml (a case per topic and school stage, the
dangerous items a poster shows) and pledges.yaml (what a student signs or a poster asks,
per topic and grade), read and checked line by line; `safebot kb check` reports every
problem with its file and line."""

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import Field, ValidationError

from index.hotlines import Hotlines
from index.knowledge import Knowledge, Problem, parse_yaml, yaml_problem
from index.models import Strict
from index.vocab import TOPIC_LABELS

GRADES = ("primary", "middle", "high")
LESSONS_DIR, CASES_FILE, PLEDGES_FILE = "lessons", "cases.yaml", "pledges.yaml"
# A pledge fits on one page with its signatures; a poster is read from across a corridor.
PLEDGE_LINES, POSTER_LINES = (4, 10), (3, 6)
MAX_LINE_CHARS, MAX_ACTION_CHARS = 50, 80


class GradeLines(Strict):
    """Lines for every grade (`all`) plus those of one grade band only."""

    all: list[str] = Field(default_factory=list)
    primary: list[str] = Field(default_factory=list)
    middle: list[str] = Field(default_factory=list)
    high: list[str] = Field(default_factory=list)

    def for_grade(self, grade: str) -> list[str]:
        return [*self.all, *getattr(self, grade)]


class TopicCommitments(Strict):
    based_on: list[str] = Field(min_length=1)  # ids of the documents whose rules these lines restate
    pledge: GradeLines
    poster: GradeLines
    action: str = Field(min_length=1)


@dataclass(frozen=True)
class Commitments:
    """What one grade signs and sees for one topic, hotline numbers filled in."""

    pledge: tuple[str, ...]
    poster: tuple[str, ...]
    action: str


@dataclass(frozen=True)
class LessonData:
    cases: dict[str, dict[str, str]]
    dangerous_items: tuple[str, ...]
    commitments: dict[str, TopicCommitments]
    knowledge: Knowledge

    def for_grade(self, topic: str, grade: str) -> Commitments:
        spec = self.commitments[topic]
        render = self.knowledge.hotlines.render
        return Commitments(
            tuple(render(x) for x in spec.pledge.for_grade(grade)),
            tuple(render(x) for x in spec.poster.for_grade(grade)),
            render(spec.action),
        )


def load_lesson_data(knowledge: Knowledge) -> tuple[LessonData | None, list[Problem]]:
    """Read and check knowledge/lessons/cases.yaml and pledges.yaml. Every problem names
    the file and line to open; the data is returned only when there is none."""
    folder = knowledge.root / LESSONS_DIR
    problems: list[Problem] = []
    cases, items = _load_cases(folder / CASES_FILE, problems)
    commitments = _load_commitments(folder / PLEDGES_FILE, knowledge, problems)
    if problems:
        return None, problems
    return LessonData(cases, tuple(items), commitments, knowledge), []


def lesson_problems(knowledge: Knowledge) -> list[Problem]:
    """What `safebot kb check` reports for the lesson material."""
    return load_lesson_data(knowledge)[1]


def _read_lesson_yaml(path: Path, problems: list[Problem]) -> tuple[object, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        problems.append(Problem(path, 1, f"cannot read ({exc.strerror or exc})"))
        return None, None
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
        return None, None
    try:
        data, root = parse_yaml(text), yaml.compose(text)
        if data is None:
            problems.append(Problem(path, 1, "file is empty"))
        return data, root
    except yaml.YAMLError as exc:
        problems.append(yaml_problem(path, exc))
    except ValueError as exc:
        problems.append(Problem(path, 1, f"invalid value: {exc}"))
    return None, None


def _line_at(node: yaml.Node | None, loc: tuple[object, ...]) -> int:
    """The line of the deepest node on `loc` (mapping keys, list positions) that exists."""
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == step), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _end_line(node: yaml.Node | None) -> int:
    return node.end_mark.line + 1 if node is not None else 1


def _load_cases(path: Path, problems: list[Problem]) -> tuple[dict[str, dict[str, str]], list[str]]:
    data, root = _read_lesson_yaml(path, problems)
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "expected a mapping: one key per topic, and dangerous_items"))
        return {}, []
    cases: dict[str, dict[str, str]] = {}
    for topic in TOPIC_LABELS:
        entry = data.get(topic)
        if entry is None:
            problems.append(
                Problem(
                    path, _end_line(root), f"no case for topic '{topic}': add '{topic}:' with primary and secondary"
                )
            )
            continue
        bands = ("primary", "secondary")
        if (
            not isinstance(entry, dict)
            or set(entry) != set(bands)
            or not all(isinstance(entry[b], str) and entry[b].strip() for b in bands)
        ):
            problems.append(
                Problem(
                    path, _line_at(root, (topic,)), f"'{topic}' needs exactly 'primary' and 'secondary', each a story"
                )
            )
            continue
        cases[topic] = entry
    items = data.get("dangerous_items")
    if not isinstance(items, list) or not items or not all(isinstance(i, str) and i.strip() for i in items):
        problems.append(
            Problem(path, _line_at(root, ("dangerous_items",)), "dangerous_items: expected a list of non-empty strings")
        )
        items = []
    for key in data:
        if key not in TOPIC_LABELS and key != "dangerous_items":
            problems.append(Problem(path, _line_at(root, (key,)), f"unknown topic '{key}'"))
    return cases, items


def _load_commitments(path: Path, knowledge: Knowledge, problems: list[Problem]) -> dict[str, TopicCommitments]:
    data, root = _read_lesson_yaml(path, problems)
    if data is None:
        return {}
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "expected a mapping: one key per topic"))
        return {}
    doc_ids = {d.meta.id for d in knowledge.documents}
    broken = {p.path.stem for p in knowledge.problems if p.fatal}  # reported by the knowledge check already
    hotlines = knowledge.hotlines
    result: dict[str, TopicCommitments] = {}
    for key in data:
        if key not in TOPIC_LABELS:
            problems.append(
                Problem(path, _line_at(root, (key,)), f"unknown topic '{key}': choose one of {', '.join(TOPIC_LABELS)}")
            )
    for topic in TOPIC_LABELS:
        if topic not in data:
            problems.append(
                Problem(
                    path,
                    _end_line(root),
                    f"no pledge for topic '{topic}': add '{topic}:' with based_on, pledge, poster and action",
                )
            )
            continue
        try:
            spec = TopicCommitments.model_validate(data[topic])
        except ValidationError as exc:
            for err in exc.errors():
                loc = (topic, *err["loc"])
                problems.append(Problem(path, _line_at(root, loc), f"{'.'.join(str(p) for p in loc)}: {err['msg']}"))
            continue
        before = len(problems)
        for i, doc_id in enumerate(spec.based_on):
            if doc_id not in doc_ids and doc_id not in broken:
                problems.append(
                    Problem(path, _line_at(root, (topic, "based_on", i)), f"{topic}.based_on: no document '{doc_id}'")
                )
        _check_lines(path, root, topic, spec, hotlines, problems)
        if len(problems) == before:
            result[topic] = spec
    return result


def _check_lines(
    path: Path, root: yaml.Node | None, topic: str, spec: TopicCommitments, hotlines: Hotlines, problems: list[Problem]
) -> None:
    def where(*loc: object) -> int:
        return _line_at(root, (topic, *loc))

    def check_text(text: str, limit: int, *loc: object) -> None:
        name = ".".join(str(p) for p in (topic, *loc))
        for key in dict.fromkeys(hotlines.unknown_references(text)):
            problems.append(Problem(path, where(*loc), f"{name}: unknown hotline key '{key}'"))
        shown = hotlines.render(text)
        if not shown.strip():
            problems.append(Problem(path, where(*loc), f"{name}: empty line"))
        elif len(shown) > limit:
            problems.append(Problem(path, where(*loc), f"{name}: {len(shown)} characters, at most {limit}"))

    check_text(spec.action, MAX_ACTION_CHARS, "action")
    reported: set[tuple[str, int]] = set()
    for kind in ("pledge", "poster"):
        lines: GradeLines = getattr(spec, kind)
        for band in ("all", *GRADES):
            for i, text in enumerate(getattr(lines, band)):
                check_text(text, MAX_LINE_CHARS, kind, band, i)
    for grade in GRADES:
        pledge, poster = spec.pledge.for_grade(grade), spec.poster.for_grade(grade)
        for kind, chosen, (low, high) in (("pledge", pledge, PLEDGE_LINES), ("poster", poster, POSTER_LINES)):
            if not low <= len(chosen) <= high:
                problems.append(
                    Problem(
                        path, where(kind), f"{topic}.{kind}: {len(chosen)} lines for {grade}, write {low} to {high}"
                    )
                )
            if len(set(chosen)) != len(chosen):
                problems.append(Problem(path, where(kind), f"{topic}.{kind}: a line repeats for {grade}"))
        for band in ("all", grade):
            for i, text in enumerate(getattr(spec.poster, band)):
                if text not in pledge and (band, i) not in reported:
                    reported.add((band, i))
                    problems.append(
                        Problem(
                            path,
                            where("poster", band, i),
                            f"{topic}.poster.{band}: not a pledge line for {grade} (a poster "
                            "says only what a pledge commits to)",
                        )
                    )
