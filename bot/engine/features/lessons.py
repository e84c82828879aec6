"""Lesson material for teachers: /lesson → topic → school stage → kind → format, one
button press each, then the file. The button data carries the choices so far, so nothing
is kept between presses."""

from typing import ClassVar

from bot.engine.callbacks import Press, encode
from bot.engine.contract import Attachment, Button, Reply
from bot.engine.features.base import ButtonHandler, CommandHandler, Context, Feature, Rows
from bot.lessons.maker import FORMATS, KINDS, LessonRequest
from bot.texts import label, text
from index.lesson_file import GRADES
from index.vocab import TOPIC_LABELS


class Lessons(Feature):
    def _lesson_menu(self, ctx: Context, args: str) -> list[Reply]:
        buttons = tuple((Button(labels["zh"], encode("ls", slug)),) for slug, labels in TOPIC_LABELS.items())
        return [Reply(text("lesson_topic", ctx.lang), buttons)]

    def _on_step(self, ctx: Context, press: Press) -> list[Reply]:
        parts = list(press.fields)
        topic = parts[0] if parts else ""
        if topic not in TOPIC_LABELS:
            return self._gone(ctx.lang)
        chosen = tuple(parts)
        if len(parts) == 1:
            options = [(label(g, ctx.lang), g) for g in GRADES]
            return [Reply(text("lesson_grade", ctx.lang), self._row(options, chosen), edit=True)]
        if len(parts) == 2 and parts[1] in GRADES:
            options = [(text(f"kind_{k}", ctx.lang), k) for k in KINDS]
            return [Reply(text("lesson_kind", ctx.lang), self._row(options, chosen), edit=True)]
        if len(parts) == 3 and parts[2] in KINDS:
            options = [(text(f"format_{f}", ctx.lang), f) for f in FORMATS]
            return [Reply(text("lesson_format", ctx.lang), self._row(options, chosen), edit=True)]
        if len(parts) == 4 and parts[3] in FORMATS:
            topic, grade, kind, fmt = parts
            request = LessonRequest(topic, grade, kind, date=self.assistant.today())
            data = self.lessons.render(request, fmt)
            summary = text(
                "lesson_sent",
                ctx.lang,
                kind=text(f"kind_{kind}", ctx.lang),
                topic=TOPIC_LABELS[topic][ctx.lang],
                grade=label(grade, ctx.lang),
            )
            return [Reply(summary, document=Attachment(f"{request.filename_stem}.{fmt}", data))]
        return self._gone(ctx.lang)

    @staticmethod
    def _row(options: list[tuple[str, str]], prefix: tuple[str, ...]) -> Rows:
        buttons = [Button(name, encode("ls", *prefix, value)) for name, value in options]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    commands: ClassVar[dict[str, CommandHandler]] = {"lesson": _lesson_menu}
    buttons: ClassVar[dict[str, ButtonHandler]] = {"ls": _on_step}
