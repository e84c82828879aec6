"""Seasonal reminders from the chat: /subscribe (all topics or chosen ones, toggled by
buttons), /unsubscribe, /reminders (what comes and when), and the 已阅 button."""

from typing import ClassVar

from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, Reply
from bot.engine.features.base import DEFAULT_ROLE, ButtonHandler, CommandHandler, Context, Feature, Rows
from bot.reminders.schedule import upcoming
from bot.texts import text
from index.vocab import TOPIC_LABELS


class Subscriptions(Feature):
    def _subscribe(self, ctx: Context, args: str) -> list[Reply]:
        if self.store.profile(ctx.profile.chat_id) is None:
            self.store.save_profile(ctx.profile)
        return [Reply(text("subscribe", ctx.lang), self._subscription_buttons(ctx))]

    def _subscription_buttons(self, ctx: Context) -> Rows:
        mine = set(self.store.subscriptions(ctx.profile.chat_id))
        rows = [(Button(text("sub_all", ctx.lang), encode("sub", "all")),)]
        rows += [
            (Button(("✅ " if slug in mine else "") + labels[ctx.lang], encode("sub", slug)),)
            for slug, labels in TOPIC_LABELS.items()
        ]
        return tuple(rows)

    def _unsubscribe(self, ctx: Context, args: str) -> list[Reply]:
        self.store.unsubscribe(ctx.profile.chat_id)
        return [Reply(text("unsubscribed", ctx.lang))]

    def _reminders(self, ctx: Context, args: str) -> list[Reply]:
        topics = self.store.subscriptions(ctx.profile.chat_id)
        if not topics:
            return [Reply(text("no_subscriptions", ctx.lang))]
        lines = [text("subscribed_to", ctx.lang, topics="、".join(TOPIC_LABELS[t][ctx.lang] for t in topics))]
        if self.book is not None:
            p = ctx.profile
            start = self.assistant.today()
            for occ in upcoming(self.book.reminders, self.book.calendar, start, 90):
                r = occ.reminder
                if (
                    r.topic in topics
                    and (p.role or DEFAULT_ROLE) in r.audiences
                    and (p.grade is None or p.grade in r.grades)
                    and p.lang in r.langs
                ):
                    title = self.book.render(r, p.lang).splitlines()[0][:40]
                    lines.append(f"• {occ.at:%m-%d %H:%M} {title}")
                if len(lines) > 8:
                    break
        return [Reply("\n".join(lines))]

    # -- buttons -------------------------------------------------------------------------

    def _on_toggle(self, ctx: Context, press: Press) -> list[Reply]:
        chat, topic = ctx.profile.chat_id, press.rest
        if self.store.profile(chat) is None:
            self.store.save_profile(ctx.profile)
        if topic == "all":
            self.store.subscribe(chat, list(TOPIC_LABELS))
        elif topic in TOPIC_LABELS:
            if topic in self.store.subscriptions(chat):
                self.store.unsubscribe(chat, [topic])
            else:
                self.store.subscribe(chat, [topic])
        else:
            return self._gone(ctx.lang)
        return [Reply(text("subscribe", ctx.lang), self._subscription_buttons(ctx), edit=True)]

    def _on_ack(self, ctx: Context, press: Press) -> list[Reply]:
        self.store.acknowledge(press.field(0), press.field(1), ctx.profile.chat_id)
        return [Reply(text("ack_thanks", ctx.lang))]

    commands: ClassVar[dict[str, CommandHandler]] = {
        "subscribe": _subscribe,
        "unsubscribe": _unsubscribe,
        "reminders": _reminders,
    }
    buttons: ClassVar[dict[str, ButtonHandler]] = {"sub": _on_toggle, "ack": _on_ack}
