"""The reminder book: knowledge/reminders.yaml and the school calendar loaded and checked
together, and each reminder's message rendered with key points from the documents it names."""

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import jinja2
import yaml
from pydantic import ValidationError

from bot.reminders.schedule import Reminder, RemindersFile, SchoolCalendar
from index.errors import KnowledgeError
from index.knowledge import Knowledge, yaml_problem
from index.models import Strict
from index.text import key_points

T = TypeVar("T", bound=Strict)


@dataclass(frozen=True)
class ReminderBook:
    reminders: list[Reminder]
    calendar: SchoolCalendar
    knowledge: Knowledge

    def get(self, reminder_id: str) -> Reminder | None:
        return next((r for r in self.reminders if r.id == reminder_id), None)

    def render(self, reminder: Reminder, lang: str) -> str:
        """The message with key points pulled from the documents it names."""
        language = lang if lang in reminder.langs else reminder.langs[0]
        template = _environment().from_string(reminder.message[language])
        return template.render(points=self._points, hotline=lambda key: self.knowledge.hotlines[key].number).strip()

    def _points(self, doc_id: str, section: int, limit: int = 5) -> list[str]:
        doc = self.knowledge.document(doc_id)
        sections = [s for s in doc.sections if s.heading != doc.meta.title]
        return key_points(sections[section].text, limit=limit)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def load_reminders(knowledge: Knowledge, calendar_file: Path | None = None) -> ReminderBook:
    """Load and check both files: schema, calendar events that exist, documents and
    sections that exist, templates that render. Any problem names the file."""
    root = knowledge.root
    calendar_path = calendar_file or root / "school_calendar.yaml"
    reminders_path = root / "reminders.yaml"
    calendar = _parse(calendar_path, SchoolCalendar)
    spec = _parse(reminders_path, RemindersFile)
    raw = reminders_path.read_text(encoding="utf-8")
    ids: set[str] = set()
    book = ReminderBook(spec.reminders, calendar, knowledge)
    for reminder in spec.reminders:
        line = next((n for n, t in enumerate(raw.splitlines(), 1) if re.search(rf"id:\s*{reminder.id}\b", t)), 1)
        where = f"{reminders_path}:{line}"
        if reminder.id in ids:
            raise KnowledgeError(f"{where}: duplicate reminder id '{reminder.id}'")
        ids.add(reminder.id)
        event = reminder.schedule.before_event
        if event and event.event not in calendar.events:
            raise KnowledgeError(f"{where}: '{reminder.id}' names unknown calendar event '{event.event}'")
        for lang in reminder.langs:
            try:
                book.render(reminder, lang)
            except (jinja2.TemplateError, KeyError, IndexError) as exc:
                raise KnowledgeError(f"{where}: message of '{reminder.id}' ({lang}) does not render: {exc}") from exc
    return book


def _parse(path: Path, model: type[T]) -> T:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise KnowledgeError(f"{path}:1: cannot read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(str(yaml_problem(path, exc))) from exc
    except ValueError as exc:  # YAML that parses but holds an impossible date, e.g. 2027-13-03
        raise KnowledgeError(f"{path}:1: invalid value: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise KnowledgeError(f"{path}:1: {'.'.join(str(p) for p in err['loc'])}: {err['msg']}") from exc
