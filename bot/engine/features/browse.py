"""Browsing the knowledge: /topics, /emergency, /hotlines, a topic's documents, a
section with its neighbours, and "📖" the whole document."""

from typing import ClassVar

from bot.engine.answering.answer import render_section
from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, Reply
from bot.engine.features.base import DEFAULT_ROLE, ButtonHandler, CommandHandler, Context, Feature
from bot.texts import text
from index.vocab import TOPIC_LABELS


class Browsing(Feature):
    def _topics(self, ctx: Context, args: str) -> list[Reply]:
        return [Reply(text("topics", ctx.lang), self._topic_buttons(ctx.lang))]

    def _emergency(self, ctx: Context, args: str) -> list[Reply]:
        lines = self._hotline_lines(ctx.lang, ("police", "ambulance", "fire", "mental_health"))
        cards = [d for d in self.assistant.knowledge.documents if d.meta.kind == "card" and d.meta.lang == ctx.lang]
        if not cards:
            cards = [d for d in self.assistant.knowledge.documents if d.meta.kind == "card"]
        buttons = tuple((Button(d.meta.title, encode("doc", d.meta.id)),) for d in cards)
        return [Reply(text("emergency", ctx.lang, hotlines=lines), buttons)]

    def _hotlines(self, ctx: Context, args: str = "") -> list[Reply]:
        hotlines = self.assistant.knowledge.hotlines
        keys = [k for k, h in hotlines.items() if h.region == "CN" or ctx.lang == "en"]
        return [Reply(text("hotlines", ctx.lang, hotlines=self._hotline_lines(ctx.lang, keys)))]

    # -- buttons -------------------------------------------------------------------------

    def _on_topic(self, ctx: Context, press: Press) -> list[Reply]:
        topic = press.rest
        if topic not in TOPIC_LABELS:
            return self._gone(ctx.lang)
        docs = [d for d in self.assistant.knowledge.documents if d.meta.topic == topic and d.meta.lang == ctx.lang]
        if not docs:
            docs = [d for d in self.assistant.knowledge.documents if d.meta.topic == topic]
        role = ctx.profile.role or DEFAULT_ROLE
        docs.sort(key=lambda d: (d.meta.kind != "card", role not in d.meta.audiences, d.meta.id))
        buttons = tuple((Button(d.meta.title, encode("doc", d.meta.id)),) for d in docs)
        return [Reply(text("topic_docs", ctx.lang, topic=TOPIC_LABELS[topic][ctx.lang]), buttons)]

    def _on_doc(self, ctx: Context, press: Press) -> list[Reply]:
        return self._show_document(press.rest, 0, ctx.lang)

    def _on_section(self, ctx: Context, press: Press) -> list[Reply]:
        doc_id, index = press.field(0), press.field(1)
        return self._show_document(doc_id, int(index) if index.isdigit() else 0, ctx.lang)

    def _on_whole(self, ctx: Context, press: Press) -> list[Reply]:
        """ "📖 Read more": every section of the document, whole, in order (split into
        messages by the channel's limit), not a table of contents."""
        doc = self._document(press.rest)
        if doc is None:
            return self._gone(ctx.lang)
        body = "\n\n".join(render_section(doc, s, doc.meta.lang) for s in doc.sections)
        related = tuple(
            (Button(f"🔗 {self._title(r)}", encode("doc", r)),) for r in doc.meta.related[:3] if self._document(r)
        )
        return [Reply(f"【{doc.meta.title}】\n\n{body}", related)]

    def _on_hotlines(self, ctx: Context, press: Press) -> list[Reply]:
        return self._hotlines(ctx)

    def _show_document(self, doc_id: str, index: int, lang: str) -> list[Reply]:
        doc = self._document(doc_id)
        if doc is None or index >= len(doc.sections):
            return self._gone(lang)
        section = doc.sections[index]
        message = f"【{doc.meta.title}】\n" + render_section(doc, section, doc.meta.lang)
        others = tuple(
            (Button(s.heading, encode("sec", doc.meta.id, i)),) for i, s in enumerate(doc.sections) if i != index
        )
        feedback = (
            Button(text("btn_up", lang), encode("fb", "u", doc.meta.id, index)),
            Button(text("btn_down", lang), encode("fb", "d", doc.meta.id, index)),
        )
        return [Reply(message, (*others, feedback))]

    commands: ClassVar[dict[str, CommandHandler]] = {"topics": _topics, "emergency": _emergency, "hotlines": _hotlines}
    buttons: ClassVar[dict[str, ButtonHandler]] = {
        "topic": _on_topic,
        "doc": _on_doc,
        "sec": _on_section,
        "full": _on_whole,
        "hotlines": _on_hotlines,
    }
