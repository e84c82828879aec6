"""Questions: triage first, then the section that answers, with buttons for the whole
document, related documents and 👍/👎; a check-in's "yes, now"; feedback. What is kept is
counted, never the text of a question."""

from typing import ClassVar

from bot.engine.answering.assistant import Answer
from bot.engine.callbacks import Press, encode
from bot.engine.contract import Button, Reply
from bot.engine.features.base import DEFAULT_ROLE, ButtonHandler, Context, Feature, Rows
from bot.engine.triage import SEVERITY, Verdict
from bot.texts import text
from index import Preferences
from index.knowledge import Document
from index.text import WORDS, detect_lang


class Questions(Feature):
    def _question(self, ctx: Context, question: str) -> list[Reply]:
        profile = ctx.profile
        # a message with words is answered in its language; "👍" in the chat's
        lang = detect_lang(question) if WORDS.search(question) else ctx.lang
        prefs = Preferences(audience=profile.role or DEFAULT_ROLE, grade=profile.grade, lang=lang)
        answer = self.assistant.answer(question, prefs, previous=self.turns.recall(profile.chat_id))
        if answer.scope == "small_talk":
            return [Reply(answer.reply, ((self._hotlines_button(lang),),))]
        self._count(answer)
        if answer.kept:
            self.turns.remember(profile.chat_id, *answer.kept, answer.audience or DEFAULT_ROLE)
        if answer.verdict.urgent:
            return [Reply(answer.reply, self._urgent_buttons(answer, lang))]
        if answer.verdict.label == "check":
            return [Reply(answer.reply, self._check_buttons(answer, lang))]
        if answer.scope == "unsure":
            return [Reply(answer.reply, self._nearest_buttons(answer, lang))]
        if not answer.confident:
            return [Reply(answer.reply, self._topic_buttons(lang))]
        return [Reply(answer.reply, self._answer_buttons(answer, lang))]

    def _count(self, answer: Answer) -> None:
        """Counts only: the text of a question is never stored."""
        if answer.verdict.label != "none":
            self.store.count(f"triage:{answer.verdict.label}")
        shown = [*answer.sections, *([answer.card] if answer.card else [])]
        if answer.confident and shown:
            self.store.count(f"questions:{self._topic_of(shown[0][0])}")
        elif answer.verdict.label == "none":
            self.store.count("unanswered")

    def _urgent_buttons(self, answer: Answer, lang: str) -> Rows:
        rows = []
        card = (answer.verdict.card or {}).get(lang) or (answer.verdict.card or {}).get("zh")
        if card and answer.verdict.label == "emergency":
            rows.append((Button(text("btn_more", lang), encode("doc", card)),))
        if answer.related and (button := self._section_button(*answer.related, f"📌 {answer.related[1]}")):
            rows.append((button,))
        rows.append((self._hotlines_button(lang),))
        return tuple(rows)

    def _check_buttons(self, answer: Answer, lang: str) -> Rows:
        """ "Yes, now" carries the suspected label and its card, so nothing of the
        message is kept; the answer's own buttons follow."""
        verdict = answer.verdict
        card = verdict.card_for(lang) or "-"
        data = encode("chk", "y", verdict.suspected, card, int(verdict.card_is_reply))
        yes = (Button(text("btn_danger_now", lang), data),)
        rest = self._answer_buttons(answer, lang) if answer.confident else ()
        return (yes, *rest)

    def _answer_buttons(self, answer: Answer, lang: str) -> Rows:
        shown = [*answer.sections, *([answer.card] if answer.card else [])]
        if not shown:
            return ()
        doc_id, heading = shown[0]
        doc = self._document(doc_id)
        if doc is None:
            return ()
        index = _position(doc, heading)
        related = [r for r in doc.meta.related if self._document(r) is not None]
        for hit in answer.result.hits[1:]:
            if hit.chunk.doc_id != doc_id and hit.chunk.lang == doc.meta.lang:
                related.append(hit.chunk.doc_id)
        related = [r for r in dict.fromkeys(related) if r not in {d for d, _ in answer.sections}][:2]
        rows: list[tuple[Button, ...]] = [(Button(text("btn_more", lang), encode("full", doc.meta.id)),)]
        if answer.related and (button := self._section_button(*answer.related, f"📌 {answer.related[1]}")):
            rows.append((button,))  # the section named under the answer, one tap away
        rows += [(Button(f"🔗 {self._title(r)}", encode("doc", r)),) for r in related]
        rows.append(
            (
                Button(text("btn_up", lang), encode("fb", "u", doc.meta.id, index)),
                Button(text("btn_down", lang), encode("fb", "d", doc.meta.id, index)),
            )
        )
        return tuple(rows)

    def _nearest_buttons(self, answer: Answer, lang: str) -> Rows:
        """Not sure: the closest sections, one tap each, then the hotlines."""
        rows: list[tuple[Button, ...]] = []
        for hit in answer.result.hits[:3]:
            if button := self._section_button(hit.chunk.doc_id, hit.chunk.section, hit.chunk.section):
                rows.append((button,))
        rows.append((self._hotlines_button(lang),))
        return tuple(rows)

    def _section_button(self, doc_id: str, heading: str, label: str) -> Button | None:
        """A button that opens one section (the browse feature's "sec" press)."""
        doc = self._document(doc_id)
        return Button(label, encode("sec", doc.meta.id, _position(doc, heading))) if doc else None

    # -- buttons -------------------------------------------------------------------------

    def _on_check(self, ctx: Context, press: Press) -> list[Reply]:
        """ "Yes, someone is in danger now" after a check-in: the full urgent reply."""
        if press.field(0) != "y":
            return self._gone(ctx.lang)
        label, card, is_reply = [*press.fields[1:], "", "", ""][:3]
        if label not in SEVERITY:
            return self._gone(ctx.lang)
        known = card if self._document(card) is not None else None
        verdict = Verdict(label, "check", {ctx.lang: known} if known else None, is_reply == "1")
        self.store.count(f"triage:{label}")
        reply = self.assistant.triager.reply(verdict, ctx.lang, self.assistant.knowledge).text or ""
        more = [(Button(text("btn_more", ctx.lang), encode("doc", known)),)] if known and label == "emergency" else []
        return [Reply(reply, (*more, (self._hotlines_button(ctx.lang),)))]

    def _on_feedback(self, ctx: Context, press: Press) -> list[Reply]:
        vote, doc_id, index = [*press.fields, "", "", ""][:3]
        doc = self._document(doc_id)
        if doc is None or vote not in ("u", "d") or not index.isdigit() or int(index) >= len(doc.sections):
            return self._gone(ctx.lang)
        self.store.feedback(doc_id, doc.sections[int(index)].heading, vote == "u")
        return [Reply(text("thanks", ctx.lang))]

    buttons: ClassVar[dict[str, ButtonHandler]] = {"chk": _on_check, "fb": _on_feedback}


def _position(doc: Document, heading: str) -> int:
    """A section's place in its document: what button data carries (headings are long)."""
    return next((i for i, s in enumerate(doc.sections) if s.heading == heading), 0)
