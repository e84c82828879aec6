"""The reminder book: knowledge/reminders.yaml and the school calendar, loaded and checked
together (index/reminder_file.py), and each reminder's message rendered in the language
a subscriber reads, with key points from the documents it names."""

from dataclasses import dataclass
from pathlib import Path

from index.knowledge import Knowledge
from index.reminder_file import Reminder, SchoolCalendar, load_reminder_files, render_message


@dataclass(frozen=True)
class ReminderBook:
    reminders: list[Reminder]
    calendar: SchoolCalendar
    knowledge: Knowledge

    def get(self, reminder_id: str) -> Reminder | None:
        return next((r for r in self.reminders if r.id == reminder_id), None)

    def render(self, reminder: Reminder, lang: str) -> str:
        """The message in `lang`, or in the reminder's first language when it has none in `lang`."""
        language = next((x for x in reminder.langs if x == lang), reminder.langs[0])
        return render_message(reminder, language, self.knowledge)


def load_reminders(knowledge: Knowledge, calendar_file: Path | None = None) -> ReminderBook:
    """The book of both files, checked: any problem is a KnowledgeError naming the file."""
    reminders, calendar = load_reminder_files(knowledge, calendar_file)
    return ReminderBook(reminders, calendar, knowledge)
