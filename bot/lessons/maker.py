"""Lesson material for teachers: a jinja2 template per kind (knowledge/lessons/) renders
Markdown from the knowledge documents, so every fact still lives in one place
(`render` then turns it into print-ready HTML or an editable Word document).

What a student signs or a poster asks comes only from lines written as commitments
(knowledge/lessons/pledges.yaml), never from a document's bullets: those also describe
what a scammer or a bully does, and must never follow "我郑重承诺".

Parameters a teacher types (school, class, teacher) are escaped for Markdown before they
reach the template, so they can never become markup, and are never used in a path."""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml
from pydantic import Field, ValidationError

from bot.engine.answering.answer import key_points
from bot.lessons.render import chat_markdown, to_docx, to_html
from index.errors import BadInputError, KnowledgeError
from index.hotlines import Hotlines
from index.knowledge import Document, Knowledge, Problem, yaml_problem
from index.models import Strict
from index.quizzes import QuizQuestion, Quizzes
from index.vocab import TOPIC_LABELS

KINDS = ("plan", "letter", "pledge", "poster")
FORMATS = ("md", "html", "docx")
GRADES = ("primary", "middle", "high")
GRADE_LABELS = {"primary": "小学", "middle": "初中", "high": "高中"}
KIND_LABELS = {"plan": "主题班会教案", "letter": "致家长的一封信", "pledge": "安全承诺书", "poster": "海报"}
HOTLINE_KEYS = ("police", "ambulance", "fire", "mental_health")
LESSONS_DIR, CASES_FILE, PLEDGES_FILE = "lessons", "cases.yaml", "pledges.yaml"
# A pledge fits on one page with its signatures; a poster is read from across a corridor.
PLEDGE_LINES, POSTER_LINES = (4, 10), (3, 6)
MAX_LINE_CHARS, MAX_ACTION_CHARS = 50, 80
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~])")


class UserText(str):
    """A string a user typed: escaped for Markdown wherever a template prints it."""


def _finalize(value: object) -> object:
    return _MD_SPECIAL.sub(r"\\\1", value) if isinstance(value, UserText) else value


@dataclass(frozen=True)
class SectionView:
    heading: str
    points: list[str]


@dataclass(frozen=True)
class DocView:
    title: str
    summary: str
    sections: list[SectionView]
    source: str

    @property
    def steps(self) -> SectionView:
        """The first real section: a card's introduction carries only its title."""
        return next((s for s in self.sections if s.heading != self.title), self.sections[0])


@dataclass(frozen=True)
class LessonRequest:
    topic: str
    grade: str
    kind: str
    school: str = "____学校"
    class_name: str = "____班"
    teacher: str = "________"
    date: dt.date | None = None
    term: str | None = None  # default: the term the date falls in

    def validate(self) -> None:
        for name, value, choices in (
            ("topic", self.topic, tuple(TOPIC_LABELS)),
            ("grade", self.grade, GRADES),
            ("kind", self.kind, KINDS),
        ):
            if value not in choices:
                raise BadInputError(f"unknown {name} '{value}': choose one of {', '.join(choices)}")
        for name, value in (("school", self.school), ("class", self.class_name), ("teacher", self.teacher)):
            # a control character cannot go into a .docx (lxml refuses it) nor means anything on paper
            if any(unicodedata.category(c) == "Cc" for c in value):
                raise BadInputError(f"{name}: remove the control characters (tabs, line breaks) from '{value!r}'")
            if len(value) > 60:
                raise BadInputError(f"{name}: at most 60 characters")

    @property
    def filename_stem(self) -> str:
        """Built from checked choices only, never from what the user typed."""
        return f"{self.topic}-{self.grade}-{self.kind}"


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
        data, root = yaml.safe_load(text), yaml.compose(text)
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


def term_of(day: dt.date) -> str:
    if day.month >= 9:
        return f"{day.year}—{day.year + 1}学年第一学期"
    if day.month == 1:
        return f"{day.year - 1}—{day.year}学年第一学期"
    return f"{day.year - 1}—{day.year}学年第二学期"


class LessonMaker:
    def __init__(self, knowledge: Knowledge, quizzes: Quizzes) -> None:
        self.knowledge = knowledge
        self.quizzes = quizzes
        folder = knowledge.root / LESSONS_DIR
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(folder),
            undefined=jinja2.StrictUndefined,
            finalize=_finalize,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            autoescape=False,
        )
        data, problems = load_lesson_data(knowledge)
        if data is None:
            more = f" (and {len(problems) - 1} more; run `safebot kb check`)" if len(problems) > 1 else ""
            raise KnowledgeError(f"{problems[0]}{more}")
        self.data = data

    def markdown(self, request: LessonRequest) -> str:
        request.validate()
        day = request.date or dt.date.today()
        student = self._guide(request.topic, "student", request.grade)
        parent = self._guide(request.topic, "parent", request.grade)
        teacher = self._guide(request.topic, "teacher", request.grade)
        card = self._card(request.topic, student)
        used = [d for d in (student, parent, teacher, card) if d is not None]
        context = {
            "topic_label": TOPIC_LABELS[request.topic]["zh"],
            "grade_label": GRADE_LABELS[request.grade],
            "school": UserText(request.school),
            "class_name": UserText(request.class_name),
            "teacher": UserText(request.teacher),
            "date": f"{day.year}年{day.month}月{day.day}日",
            "term": UserText(request.term) if request.term else term_of(day),
            "duration": 40 if request.grade == "primary" else 45,
            "student": self._view(student),
            "parent": self._view(parent),
            "teacher_doc": self._view(teacher),
            "card": self._view(card) if card else None,
            "case": self.data.cases[request.topic]["primary" if request.grade == "primary" else "secondary"],
            "items": list(self.data.dangerous_items) if (request.kind, request.topic) == ("poster", "violence") else [],
            "pledge": self.data.for_grade(request.topic, request.grade),
            "quiz": self._quiz(request.topic, request.grade),
            "hotlines": "；".join(
                f"{self.knowledge.hotlines[k].number} {self.knowledge.hotlines[k].name.zh}" for k in HOTLINE_KEYS
            ),
            "sources": list(dict.fromkeys(d.meta.sources[0].cite() for d in used)),
        }
        name = f"{request.kind}.md.j2"
        try:
            return self._env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            raise KnowledgeError(f"knowledge/lessons/{exc.name or name}:{exc.lineno}: {exc.message}") from exc
        except jinja2.UndefinedError as exc:
            raise KnowledgeError(f"knowledge/lessons/{name}:{_template_line(exc)}: {exc.message}") from exc

    def render(self, request: LessonRequest, fmt: str) -> bytes:
        if fmt not in FORMATS:
            raise BadInputError(f"unknown format '{fmt}': choose one of {', '.join(FORMATS)}")
        markdown = self.markdown(request)
        title = f"{TOPIC_LABELS[request.topic]['zh']}{KIND_LABELS[request.kind]}"
        if fmt == "md":
            return chat_markdown(markdown).encode()
        if fmt == "html":
            return to_html(markdown, title).encode()
        return to_docx(markdown, title)

    def _guide(self, topic: str, audience: str, grade: str) -> Document:
        docs = [
            d
            for d in self.knowledge.documents
            if d.meta.topic == topic and d.meta.lang == "zh" and d.meta.kind == "guide" and audience in d.meta.audiences
        ]
        if not docs:
            raise KnowledgeError(f"no Chinese {audience} document for topic '{topic}' to build lessons from")
        # a topic's main guide for a reader is named <prefix>-<audience>-zh (knowledge/README.md)
        docs.sort(
            key=lambda d: (
                not d.meta.id.endswith(f"-{audience}-zh"),
                grade not in d.meta.grades,
                len(d.meta.audiences),
                d.meta.id,
            )
        )
        return docs[0]

    def _card(self, topic: str, student: Document) -> Document | None:
        """The card the student guide points to first, else the topic's first card."""
        cards = [
            d
            for d in self.knowledge.documents
            if d.meta.topic == topic and d.meta.kind == "card" and d.meta.lang == "zh"
        ]
        order = {doc_id: i for i, doc_id in enumerate(student.meta.related)}
        cards.sort(key=lambda d: (order.get(d.meta.id, len(order)), d.meta.id))
        return cards[0] if cards else None

    @staticmethod
    def _view(doc: Document) -> DocView:
        sections = [
            SectionView(s.heading, key_points(s.text, limit=8))
            for s in doc.sections
            if s.text and s.heading != doc.meta.title
        ] or [SectionView(s.heading, key_points(s.text, limit=8)) for s in doc.sections]
        return DocView(doc.meta.title, doc.meta.summary, sections, doc.meta.sources[0].cite())

    def _quiz(self, topic: str, grade: str) -> list[QuizQuestion]:
        return self.quizzes.pick(topic, grade, "zh", 3)


def _template_line(exc: Exception) -> int:
    tb = exc.__traceback__
    line = 0
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
