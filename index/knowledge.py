"""Loading and validating knowledge/. Every problem is reported with the file and line a
person has to open, and loading collects all problems instead of stopping at the first,
so one `safebot kb check` run shows everything to fix."""

import datetime as dt
import functools
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from index.errors import KnowledgeError
from index.hotlines import Hotlines
from index.models import FrontMatter, Hotline, Source

DOCS_DIR = "docs"
HOTLINES_FILE = "hotlines.yaml"
SCOPE_FILE = "scope.yaml"
# Files that document the format rather than hold content; they may show numbers.
_NOT_CONTENT = {"README.md"}
_CONTENT_SUFFIXES = {".md", ".yaml", ".yml", ".j2", ".jinja"}
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")
# A section's own metadata: a YAML mapping inside an HTML comment right under its heading,
# so it stays invisible wherever the Markdown is rendered.
_SECTION_META = re.compile(r"\A\s*<!--(.*?)-->\s*", re.DOTALL)
MIN_QUESTIONS, MAX_QUESTIONS = 3, 8


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Section:
    """A `##` section: the unit of retrieval and of an answer. `questions` are what
    people ask that this section answers, in their words (embedded as extra search keys);
    `sources` are 0-based positions in the document's sources (empty: the first one);
    `audiences` narrow the document's own for a section written to one reader (a card's
    "parents and teachers" section; empty: the document's)."""

    heading: str
    text: str
    line: int
    questions: tuple[str, ...] = ()
    sources: tuple[int, ...] = ()
    audiences: tuple[str, ...] = ()

    def is_for(self, doc: "Document", audience: str) -> bool:
        return audience in (self.audiences or doc.meta.audiences)


@dataclass(frozen=True)
class Document:
    meta: FrontMatter
    path: Path
    sections: tuple[Section, ...]

    def source_of(self, section: Section) -> Source:
        """The source a section rests on: its own first one, else the document's first."""
        return self.meta.sources[section.sources[0] if section.sources else 0]

    def is_expired(self, today: dt.date) -> bool:
        return self.meta.expires is not None and self.meta.expires < today


@dataclass(frozen=True)
class Knowledge:
    root: Path
    documents: tuple[Document, ...]
    hotlines: Hotlines
    out_of_scope: tuple[str, ...]
    problems: tuple[Problem, ...]
    not_held: tuple[str, ...] = ()  # patterns of requests no guidance holds (brands, prices, sign-ups)
    not_safety: tuple[str, ...] = ()  # patterns of requests that are no safety question (write my essay)
    # (asks, not): a question in one state is never answered by a heading in the other
    # ("not breathing" is not answered by "unconscious but breathing")
    contrary: tuple[tuple[str, str], ...] = ()

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]

    def require_valid(self) -> "Knowledge":
        """Raise with the first error so commands that use knowledge never run on a
        broken file."""
        errors = self.errors
        if errors:
            more = f" (and {len(errors) - 1} more; run `safebot kb check`)" if len(errors) > 1 else ""
            raise KnowledgeError(f"{errors[0]}{more}")
        return self

    @functools.cached_property
    def _by_id(self) -> dict[str, Document]:
        """Documents by id, built once: a reply looks documents up several times per
        search hit (which card may follow which, which topic a hit is on). The first of
        two documents with one id wins, as `kb check` reports the second."""
        by_id: dict[str, Document] = {}
        for doc in self.documents:
            by_id.setdefault(doc.meta.id, doc)
        return by_id

    def document(self, doc_id: str) -> Document:
        return self._by_id[doc_id]

    def related(self, a: str, b: str) -> bool:
        """Whether an author linked the two documents (`related:` on either side): the
        drowning card and the after-rescue card are one situation, fire and gas two."""
        return a == b or b in self.document(a).meta.related or a in self.document(b).meta.related


def display_path(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load_knowledge(root: Path, *, today: dt.date | None = None) -> Knowledge:
    """Read and check everything under `root`. Raises only when the folder itself is
    missing; content problems are collected in `Knowledge.problems`."""
    root = Path(root)
    if not root.is_dir():
        raise KnowledgeError(f"knowledge directory {display_path(root)} does not exist")
    today = today or dt.date.today()
    problems: list[Problem] = []
    hotlines = _load_hotlines(root / HOTLINES_FILE, problems)
    documents = []
    for path in sorted((root / DOCS_DIR).rglob("*.md")):
        doc = _load_document(path, hotlines, problems)
        if doc is not None:
            documents.append(doc)
    out_of_scope, not_held, not_safety, contrary = _load_scope(root / SCOPE_FILE, problems)
    _check_across_documents(documents, problems, today)
    for path in _content_files(root):
        _check_typed_numbers(path, hotlines, problems)
    if not documents and not problems:
        problems.append(Problem(root / DOCS_DIR, 1, "no documents found"))
    return Knowledge(root, tuple(documents), hotlines, out_of_scope, tuple(problems), not_held, not_safety, contrary)


def knowledge_hash(root: Path) -> str:
    """A hash of what the index is built from (documents, hotlines, out-of-scope
    subjects, triage examples), so an index knows whether it is stale; quizzes or reminders do not count."""
    digest = hashlib.sha256()
    indexed = [
        p
        for p in _content_files(root, include_hotlines=True)
        if p.is_relative_to(root / DOCS_DIR)
        or p.is_relative_to(root / "triage")
        or p in (root / HOTLINES_FILE, root / SCOPE_FILE)
    ]
    for path in indexed:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _content_files(root: Path, *, include_hotlines: bool = False) -> Iterable[Path]:
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix not in _CONTENT_SUFFIXES:
            continue
        if path.name in _NOT_CONTENT:
            continue
        if path.name == HOTLINES_FILE and path.parent == root and not include_hotlines:
            continue
        yield path


def _load_hotlines(path: Path, problems: list[Problem]) -> Hotlines:
    data = _read_yaml(path, problems, first_line=1)
    if data is None:
        return Hotlines({})
    if not isinstance(data, dict):
        problems.append(Problem(path, 1, "expected a mapping of hotline keys"))
        return Hotlines({})
    text = path.read_text(encoding="utf-8")
    entries: dict[str, Hotline] = {}
    for key, value in data.items():
        line = _line_of(text, rf"^{re.escape(str(key))}:", default=1)
        try:
            entries[str(key)] = Hotline.model_validate(value)
        except ValidationError as exc:
            problems.extend(_validation_problems(path, exc, line, Hotline))
    return Hotlines(entries)


def _load_scope(
    path: Path, problems: list[Problem]
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """The out-of-scope descriptions (embedded), the not-held and not-safety request
    patterns and the contrary pairs (a question matching `asks` is never answered by a
    heading matching `not`)."""
    if not path.exists():
        return (), (), (), ()
    data = _read_yaml(path, problems, first_line=1)
    if data is None:
        return (), (), (), ()
    items = data.get("out_of_scope") if isinstance(data, dict) else None
    patterns = data.get("not_held", []) if isinstance(data, dict) else None
    requests = data.get("not_safety", []) if isinstance(data, dict) else None
    pairs = data.get("contrary", []) if isinstance(data, dict) else None
    if (
        set(data if isinstance(data, dict) else {}) - {"out_of_scope", "not_held", "not_safety", "contrary"}
        or not isinstance(items, list)
        or not all(isinstance(i, str) and i.strip() for i in items)
        or not isinstance(patterns, list)
        or not all(isinstance(p, str) and p.strip() for p in patterns)
        or not isinstance(requests, list)
        or not all(isinstance(p, str) and p.strip() for p in requests)
        or not isinstance(pairs, list)
        or not all(isinstance(p, dict) and set(p) == {"asks", "not"} for p in pairs)
        or not all(isinstance(v, str) and v.strip() for p in pairs for v in p.values())
    ):
        problems.append(
            Problem(
                path,
                1,
                "expected 'out_of_scope' and optional 'not_held', 'not_safety' (lists of non-empty "
                "strings) and 'contrary' (a list of {asks: pattern, not: pattern})",
            )
        )
        return (), (), (), ()
    contrary = tuple((p["asks"], p["not"]) for p in pairs)
    named = [("not_held", p) for p in patterns] + [("not_safety", p) for p in requests]
    for key, pattern in named + [("contrary", p) for pair in contrary for p in pair]:
        try:
            re.compile(pattern)
        except re.error as exc:
            line = next((n for n, t in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern in t), 1)
            problems.append(Problem(path, line, f"{key}: bad pattern {pattern!r}: {exc}"))
            return tuple(items), (), (), ()
    return tuple(items), tuple(patterns), tuple(requests), contrary


_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def yaml_problem(path: Path, exc: yaml.YAMLError, first_line: int = 1) -> Problem:
    """The one way a YAML syntax error becomes `file:line: invalid YAML: reason`;
    `first_line` is where the YAML text starts in the file (front matter starts at 2)."""
    mark = getattr(exc, "problem_mark", None)
    line = first_line + (mark.line if mark is not None else 0)
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return Problem(path, line, f"invalid YAML: {reason}")


def _read_yaml(path: Path, problems: list[Problem], first_line: int, text: str | None = None) -> Any:
    if text is None:
        if not path.is_file():
            problems.append(Problem(path, 1, "file is missing"))
            return None
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
            return None
    try:
        return parse_yaml(text)
    except ValueError as exc:  # parses, but holds an impossible date such as 2026-13-01
        problems.append(Problem(path, first_line, f"invalid value: {exc}"))
        return None
    except yaml.YAMLError as exc:
        problems.append(yaml_problem(path, exc, first_line))
        return None


def parse_yaml(text: str) -> Any:
    """The one way knowledge/ YAML is parsed: libyaml's parser when PyYAML ships it (the
    ~850 section comments took two of the three seconds of a cold `safebot ask`, the
    quiz and triage files most of another half second), and on error the pure-Python
    parser's message."""
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as fast:
        raise _pure_python_error(text) or fast from None


def _pure_python_error(text: str) -> yaml.YAMLError | None:
    """The pure-Python parser's error names the line a person would fix (an unclosed
    bracket's), where libyaml's names a later one; parsing twice costs only on error."""
    try:
        yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return exc
    return None


def _load_document(path: Path, hotlines: Hotlines, problems: list[Problem]) -> Document | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(path, 1, f"not UTF-8 text ({exc.reason})"))
        return None
    # Numbers are filled in before parsing, so a title or a source can name a hotline too.
    lines = hotlines.render(text).splitlines()
    if not lines or lines[0].strip() != "---":
        problems.append(Problem(path, 1, "front matter must start with '---' on the first line"))
        return None
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(path, 1, "front matter is not closed with '---'"))
        return None
    front = "\n".join(lines[1:end])
    data = _read_yaml(path, problems, first_line=2, text=front)
    if data is None:
        if not any(p.path == path for p in problems):
            problems.append(Problem(path, 2, "front matter is empty"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(path, 2, "front matter must be a mapping of fields"))
        return None
    try:
        meta = FrontMatter.model_validate(data)
    except ValidationError as exc:
        problems.extend(_validation_problems(path, exc, 2, FrontMatter, front, offset=1))
        return None
    if path.stem != meta.id:
        problems.append(Problem(path, _line_of(front, r"^id:", 1) + 1, f"file name must be {meta.id}.md"))
    for key in dict.fromkeys(hotlines.unknown_references(text)):
        line = _line_of(text, rf"hotline:\s*{re.escape(key)}", 1)
        problems.append(Problem(path, line, f"unknown hotline key '{key}'"))
    sections = _split_sections(meta, lines[end + 1 :], first_line=end + 2)
    sections = [_with_section_meta(s, meta, path, problems) for s in sections]
    if not any(s.heading != meta.title for s in sections):
        problems.append(Problem(path, end + 2, "no '## ' sections: a section is the unit of retrieval"))
    for s in sections:
        if not s.text.strip():
            problems.append(Problem(path, s.line, f"section '{s.heading}' is empty"))
    return Document(meta, path, tuple(sections))


def _split_sections(meta: FrontMatter, body: list[str], first_line: int) -> list[Section]:
    sections: list[Section] = []
    heading, start = meta.title, first_line
    buf: list[str] = []

    def flush() -> None:
        content = "\n".join(buf).strip()
        if content or heading != meta.title:
            sections.append(Section(heading, content, start))

    for offset, line in enumerate(body):
        match = _HEADING.match(line)
        if match:
            flush()
            heading, start, buf = match[1], first_line + offset, []
        elif not line.startswith("# "):
            buf.append(line)
    flush()
    return sections


def _with_section_meta(section: Section, meta: FrontMatter, path: Path, problems: list[Problem]) -> Section:
    """Move a section's `<!-- questions: [...]  sources: [2] -->` block out of its text
    into fields, checking it: 3 to 8 non-empty questions, sources numbered from 1 within
    the document's own list, and named whenever the document has more than one. Every
    section needs a block: its questions are how people's own words find it."""
    match = _SECTION_META.match(section.text)
    if match is None:
        problems.append(
            Problem(path, section.line, f"section '{section.heading}' has no <!-- questions: [...] --> block")
        )
        return section
    text = section.text[match.end() :].strip()
    line = section.line + 1
    data = _read_yaml(path, problems, first_line=line, text=match[1])
    if data is None:
        data = {}
    if not isinstance(data, dict) or set(data) - {"questions", "sources", "audiences"}:
        problems.append(Problem(path, line, "section metadata may only hold 'questions', 'sources' and 'audiences'"))
        return Section(section.heading, text, section.line)
    questions = data.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) and q.strip() for q in questions):
        problems.append(Problem(path, line, "questions: expected a list of non-empty strings"))
        questions = []
    elif not MIN_QUESTIONS <= len(questions) <= MAX_QUESTIONS:
        problems.append(
            Problem(path, line, f"questions: {len(questions)} given, write {MIN_QUESTIONS} to {MAX_QUESTIONS}")
        )
    numbers = data.get("sources") or []
    if not isinstance(numbers, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= len(meta.sources) for n in numbers
    ):
        problems.append(
            Problem(path, line, f"sources: expected numbers from 1 to {len(meta.sources)} (the front matter's list)")
        )
        numbers = []
    elif not numbers and len(meta.sources) > 1:
        # with one source the citation is never in doubt; with several, a section left
        # to the first cited a chickenpox notice under a flu answer
        problems.append(
            Problem(path, line, f"sources: the document has {len(meta.sources)} sources; name this section's own")
        )
    audiences = data.get("audiences") or []
    if not isinstance(audiences, list) or not set(audiences) <= set(meta.audiences):
        problems.append(Problem(path, line, f"audiences: expected some of the document's own {list(meta.audiences)}"))
        audiences = []
    return Section(
        section.heading,
        text,
        section.line,
        tuple(q.strip() for q in questions),
        tuple(n - 1 for n in numbers),
        tuple(audiences),
    )


def _check_across_documents(documents: list[Document], problems: list[Problem], today: dt.date) -> None:
    seen: dict[str, Document] = {}
    for doc in documents:
        if doc.meta.id in seen:
            first = display_path(seen[doc.meta.id].path)
            problems.append(Problem(doc.path, 2, f"duplicate id '{doc.meta.id}' (also in {first})"))
        seen.setdefault(doc.meta.id, doc)
    for doc in documents:
        front = doc.path.read_text(encoding="utf-8")
        for rel in doc.meta.related:
            if rel not in seen:
                line = _line_of(front, re.escape(rel), 1)
                problems.append(Problem(doc.path, line, f"related id '{rel}' does not exist"))
        if doc.is_expired(today):
            line = _line_of(front, r"^expires:", 1)
            problems.append(Problem(doc.path, line, f"expired on {doc.meta.expires}: not used in answers", fatal=False))


def _check_typed_numbers(path: Path, hotlines: Hotlines, problems: list[Problem]) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return  # reported where the file is loaded
    for lineno, line in enumerate(text.splitlines(), 1):
        for number in hotlines.typed_numbers(line):
            problems.append(
                Problem(
                    path,
                    lineno,
                    f"phone number '{number}' written out: use {{{{hotline:KEY}}}} and keep numbers in hotlines.yaml",
                )
            )


def _validation_problems(
    path: Path, exc: ValidationError, line: int, model: type[BaseModel], text: str = "", offset: int = 0
) -> list[Problem]:
    found = []
    for err in exc.errors():
        loc = [str(part) for part in err["loc"]]
        field = loc[0] if loc else ""
        at = line
        if text and field:
            at = _line_of(text, rf"^{re.escape(field)}\s*:", line - offset) + offset
        where = ".".join(loc) or model.__name__
        message = "unknown field" if err["type"] == "extra_forbidden" else err["msg"]
        found.append(Problem(path, at, f"{where}: {message}"))
    return found


def _line_of(text: str, pattern: str, default: int) -> int:
    regex = re.compile(pattern)
    for number, line in enumerate(text.splitlines(), 1):
        if regex.search(line):
            return number
    return default
