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

import jinja2

from bot.lessons.render import chat_markdown, to_docx, to_html
from index.errors import BadInputError, KnowledgeError
from index.knowledge import Document, Knowledge
from index.lesson_file import GRADES, LESSONS_DIR, load_lesson_data
from index.quizzes import QuizQuestion, Quizzes
from index.text import key_points
from index.vocab import TOPIC_LABELS

KINDS = ("plan", "letter", "pledge", "poster")
FORMATS = ("md", "html", "docx")
GRADE_LABELS = {"primary": "小学", "middle": "初中", "high": "高中"}
KIND_LABELS = {"plan": "主题班会教案", "letter": "致家长的一封信", "pledge": "安全承诺书", "poster": "海报"}
HOTLINE_KEYS = ("police", "ambulance", "fire", "mental_health")
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
