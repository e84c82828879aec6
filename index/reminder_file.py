"""The schema of knowledge/reminders.yaml (what to send, to whom, on which schedule) and
of the school calendar, read and checked together: calendar events that exist, documents
and sections that exist, message templates that render. `render_message` is the one way
a message is rendered, so what the check renders is what subscribers get."""

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal, TypeVar

import jinja2
import yaml
from pydantic import AfterValidator, Field, ValidationError, model_validator

from index.errors import KnowledgeError
from index.knowledge import Knowledge, parse_yaml, yaml_problem
from index.models import Strict
from index.text import key_points
from index.vocab import Audience, Grade, Lang, Topic

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_MMDD = re.compile(r"^(0[1-9]|1[0-2])-([0-2]\d|3[01])$")


def _time(value: str) -> str:
    if not _HHMM.match(value):
        raise ValueError("time must be HH:MM")
    return value


def _month_day(value: str) -> str:
    if not _MMDD.match(value):
        raise ValueError("a day of the year is MM-DD")
    return value


HHMM = Annotated[str, AfterValidator(_time)]
MMDD = Annotated[str, AfterValidator(_month_day)]


class BeforeEvent(Strict):
    event: str
    days: int = Field(ge=0, le=60)
    time: HHMM


class Weekly(Strict):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    time: HHMM
    from_: MMDD = Field(alias="from")
    to: MMDD


class Yearly(Strict):
    date: MMDD
    time: HHMM


class Festival(Strict):
    name: Literal["spring_festival", "lantern", "qingming", "dragon_boat", "mid_autumn", "national_day"]
    days: int = Field(ge=0, le=30)
    time: HHMM


class Schedule(Strict):
    before_event: BeforeEvent | None = None
    weekly: Weekly | None = None
    yearly: Yearly | None = None
    festival: Festival | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "Schedule":
        if sum(x is not None for x in (self.before_event, self.weekly, self.yearly, self.festival)) != 1:
            raise ValueError("a schedule has exactly one rule: before_event, weekly, yearly or festival")
        return self


class Reminder(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)
    topic: Topic
    audiences: list[Audience] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    langs: list[Lang] = Field(min_length=1)
    ack: bool = False
    schedule: Schedule
    message: dict[Lang, str]

    @model_validator(mode="after")
    def _messages_for_every_language(self) -> "Reminder":
        missing = [lang for lang in self.langs if not self.message.get(lang, "").strip()]
        if missing:
            raise ValueError(f"no message for {', '.join(missing)}")
        return self


class RemindersFile(Strict):
    reminders: list[Reminder] = Field(min_length=1)


class SchoolCalendar(Strict):
    region: str
    school_year: str
    note: str = ""
    events: dict[str, dt.date]


T = TypeVar("T", bound=Strict)


def _environment() -> jinja2.Environment:
    return jinja2.Environment(undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def render_message(reminder: Reminder, lang: Lang, knowledge: Knowledge) -> str:
    """The message in `lang`, with key points pulled from the documents it names and the
    hotline numbers filled in."""

    def points(doc_id: str, section: int, limit: int = 5) -> list[str]:
        doc = knowledge.document(doc_id)
        sections = [s for s in doc.sections if s.heading != doc.meta.title]
        return key_points(sections[section].text, limit=limit)

    template = _environment().from_string(reminder.message[lang])
    return template.render(points=points, hotline=lambda key: knowledge.hotlines[key].number).strip()


def load_reminder_files(
    knowledge: Knowledge, calendar_file: Path | None = None
) -> tuple[list[Reminder], SchoolCalendar]:
    """Load and check both files: schema, calendar events that exist, documents and
    sections that exist, templates that render. Any problem names the file."""
    root = knowledge.root
    calendar_path = calendar_file or root / "school_calendar.yaml"
    reminders_path = root / "reminders.yaml"
    calendar = _parse(calendar_path, SchoolCalendar)
    spec = _parse(reminders_path, RemindersFile)
    raw = reminders_path.read_text(encoding="utf-8")
    ids: set[str] = set()
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
                render_message(reminder, lang, knowledge)
            except (jinja2.TemplateError, KeyError, IndexError) as exc:
                raise KnowledgeError(f"{where}: message of '{reminder.id}' ({lang}) does not render: {exc}") from exc
    return spec.reminders, calendar


def _parse(path: Path, model: type[T]) -> T:
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"))
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
