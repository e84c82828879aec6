"""The dialogue engine: one place decides everything the bot says, for every channel.
A channel turns what a user did into an `Incoming` and sends the `Reply`s back; the
engine never knows whether that was Telegram or a terminal, so it is tested alone.
Replies are whole: each channel splits them for its own limits and escapes them.

Button data is short and self-describing ("doc:drowning-parent-zh"), encoded and decoded
in `bot.callbacks` (which checks Telegram's 64 bytes), so no conversation state has to
survive between steps."""

import logging
from dataclasses import dataclass, field

from bot.answer import render_section
from bot.assistant import Answer, Assistant
from bot.callbacks import decode, encode
from bot.contract import Attachment, Button, Incoming, QuizPoll, Reply
from bot.followup import Turns
from bot.lessons import FORMATS as LESSON_FORMATS
from bot.lessons import GRADES as LESSON_GRADES
from bot.lessons import KINDS as LESSON_KINDS
from bot.lessons import LessonMaker, LessonRequest
from bot.messages import interface_language, label, text
from bot.reminders import ReminderBook, upcoming
from bot.store import Profile, Store
from bot.triage import SEVERITY, Verdict
from index import Preferences
from index.knowledge import Document
from index.text import detect_lang
from index.vocab import AUDIENCES, GRADES, LANGS, TOPIC_LABELS

logger = logging.getLogger(__name__)

DEFAULT_ROLE = "parent"
QUIZ_LENGTH = 5


@dataclass
class QuizRun:
    """A quiz in progress: the engine says whether each answer is right and gives the
    score at the end; the channel only shows the questions and passes on the choices."""

    polls: tuple[QuizPoll, ...]
    lang: str
    asked: int = 0
    right: int = 0

    @property
    def current(self) -> QuizPoll | None:
        return self.polls[self.asked] if self.asked < len(self.polls) else None

    def answer(self, choice: int) -> list[Reply]:
        """`choice` counts from 0. The verdict with the explanation, then the score once
        the last question is answered."""
        poll = self.current
        if poll is None:
            return []
        if choice == poll.correct:
            self.right += 1
            verdict = text("quiz_right", self.lang)
        else:
            verdict = text("quiz_wrong", self.lang, answer=f"[{poll.correct + 1}] {poll.options[poll.correct]}")
        self.asked += 1
        replies = [Reply(f"{verdict}{poll.explanation}")]
        if self.current is None:
            replies.append(Reply(text("quiz_score", self.lang, right=str(self.right), total=str(len(self.polls)))))
        return replies


@dataclass
class _Context:
    profile: Profile
    lang: str = field(init=False)

    def __post_init__(self) -> None:
        self.lang = self.profile.lang


class Dialogue:
    def __init__(
        self,
        assistant: Assistant,
        store: Store,
        book: ReminderBook | None = None,
        admins: frozenset[int] = frozenset(),
        lessons: LessonMaker | None = None,
    ) -> None:
        self.assistant = assistant
        self.store = store
        self.book = book
        self.admins = admins
        self._commands = {
            "start": self._start,
            "help": self._help,
            "about": self._about,
            "topics": self._topics,
            "emergency": self._emergency,
            "hotlines": self._hotlines,
            "settings": self._settings,
            "forget": self._forget,
            "quiz": self._quiz_menu,
            "lesson": self._lesson_menu,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "reminders": self._reminders,
            "stats": self._stats,
        }
        self._lessons = lessons
        self.turns = Turns()  # the last answered topic per chat, for follow-ups

    # -- entry point -------------------------------------------------------------------

    def handle(self, incoming: Incoming) -> list[Reply]:
        ctx = _Context(self._profile(incoming))
        if incoming.button:
            replies = self._press(ctx, incoming.button)
        elif incoming.text.strip().startswith("/broadcast"):
            replies = self._broadcast(ctx, incoming.text.strip()[len("/broadcast") :].strip())
        elif incoming.text.strip().startswith("/"):
            command = incoming.text.strip()[1:].split()[0].split("@")[0].lower()
            handler = self._commands.get(command)
            replies = handler(ctx) if handler else [Reply(text("unknown_command", ctx.lang)), *self._help(ctx)]
        elif not incoming.text.strip():  # a blank message is not a question: say how to ask
            replies = self._help(ctx)
        elif self.assistant.triager.is_small_talk(incoming.text):
            replies = [
                Reply(text("small_talk", ctx.lang), ((Button(text("btn_hotlines", ctx.lang), encode("hotlines")),),))
            ]
        else:
            replies = self._question(ctx, incoming.text)
        return replies

    def language(self, chat_id: int, hint: str | None = None) -> str:
        """The chat's interface language: its saved one, else the channel's hint."""
        profile = self.store.profile(chat_id)
        return profile.lang if profile else interface_language(hint)

    def notice(self, key: str, lang: str) -> Reply:
        """A notice a channel sends on its own ('flood': too many messages; 'error':
        something broke): it always names the police and ambulance numbers."""
        hotlines = self.assistant.knowledge.hotlines
        return Reply(text(key, lang, police=hotlines["police"].number, ambulance=hotlines["ambulance"].number))

    def start_quiz(self, chat_id: int, polls: list[QuizPoll]) -> "QuizRun":
        """A quiz taken one answer at a time, for a channel without native quiz polls."""
        return QuizRun(tuple(polls), self.language(chat_id))

    def _profile(self, incoming: Incoming) -> Profile:
        profile = self.store.profile(incoming.chat_id)
        if profile is None:
            profile = Profile(incoming.chat_id, None, None, interface_language(incoming.language))
        return profile

    # -- questions -----------------------------------------------------------------------

    def _question(self, ctx: _Context, question: str) -> list[Reply]:
        profile = ctx.profile
        lang = detect_lang(question) if question.strip() else ctx.lang
        prefs = Preferences(audience=profile.role or DEFAULT_ROLE, grade=profile.grade, lang=lang)
        answer = self.assistant.answer(question, prefs, previous=self.turns.recall(profile.chat_id))
        self._count(answer)
        if answer.sections:
            self.turns.remember(profile.chat_id, *answer.sections[0], answer.audience or DEFAULT_ROLE)
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

    def _urgent_buttons(self, answer: Answer, lang: str) -> tuple[tuple[Button, ...], ...]:
        rows = []
        card = (answer.verdict.card or {}).get(lang) or (answer.verdict.card or {}).get("zh")
        if card and answer.verdict.label == "emergency":
            rows.append((Button(text("btn_more", lang), encode("doc", card)),))
        rows.append((Button(text("btn_hotlines", lang), encode("hotlines")),))
        return tuple(rows)

    def _check_buttons(self, answer: Answer, lang: str) -> tuple[tuple[Button, ...], ...]:
        """ "Yes, now" carries the suspected label and its card, so nothing of the
        message is kept; the answer's own buttons follow."""
        verdict = answer.verdict
        card = (verdict.card or {}).get(lang) or (verdict.card or {}).get("zh") or "-"
        yes = (
            Button(
                text("btn_danger_now", lang), encode("chk", "y", verdict.suspected, card, int(verdict.card_is_reply))
            ),
        )
        rest = self._answer_buttons(answer, lang) if answer.confident else ()
        return (yes, *rest)

    def _checked(self, ctx: _Context, rest: tuple[str, ...]) -> list[Reply]:
        """ "Yes, someone is in danger now" after a check-in: the full urgent reply."""
        label, card, is_reply = [*rest, "", "", ""][:3]
        if label not in SEVERITY:
            return [Reply(text("gone", ctx.lang))]
        known = card if self._document(card) is not None else None
        verdict = Verdict(label, "check", {ctx.lang: known} if known else None, is_reply == "1")
        self.store.count(f"triage:{label}")
        reply = self.assistant.triager.reply(verdict, ctx.lang, self.assistant.knowledge).text or ""
        buttons = (
            [(Button(text("btn_more", ctx.lang), encode("doc", known)),)] if known and label == "emergency" else []
        )
        return [Reply(reply, (*buttons, (Button(text("btn_hotlines", ctx.lang), encode("hotlines")),)))]

    def _answer_buttons(self, answer: Answer, lang: str) -> tuple[tuple[Button, ...], ...]:
        shown = [*answer.sections, *([answer.card] if answer.card else [])]
        if not shown:
            return ()
        doc_id, heading = shown[0]
        doc = self._document(doc_id)
        if doc is None:
            return ()
        index = next((i for i, s in enumerate(doc.sections) if s.heading == heading), 0)
        related = [r for r in doc.meta.related if self._document(r) is not None]
        for hit in answer.result.hits[1:]:
            if hit.chunk.doc_id != doc_id and hit.chunk.lang == doc.meta.lang:
                related.append(hit.chunk.doc_id)
        related = [r for r in dict.fromkeys(related) if r not in {d for d, _ in answer.sections}][:2]
        rows: list[tuple[Button, ...]] = [(Button(text("btn_more", lang), encode("full", doc.meta.id)),)]
        rows += [(Button(f"🔗 {self._title(r)}", encode("doc", r)),) for r in related]
        rows.append(
            (
                Button(text("btn_up", lang), encode("fb", "u", doc.meta.id, index)),
                Button(text("btn_down", lang), encode("fb", "d", doc.meta.id, index)),
            )
        )
        return tuple(rows)

    def _nearest_buttons(self, answer: Answer, lang: str) -> tuple[tuple[Button, ...], ...]:
        """Not sure: the closest sections, one tap each, then the hotlines."""
        rows: list[tuple[Button, ...]] = []
        for hit in answer.result.hits[:3]:
            doc = self._document(hit.chunk.doc_id)
            if doc is None:
                continue
            index = next((i for i, s in enumerate(doc.sections) if s.heading == hit.chunk.section), 0)
            rows.append((Button(hit.chunk.section, encode("sec", doc.meta.id, index)),))
        rows.append((Button(text("btn_hotlines", lang), encode("hotlines")),))
        return tuple(rows)

    # -- commands ------------------------------------------------------------------------

    def _start(self, ctx: _Context) -> list[Reply]:
        self.store.save_profile(ctx.profile)
        lines = self._hotline_lines(ctx.lang, ("police", "ambulance", "fire", "mental_health"))
        return [Reply(text("greeting", ctx.lang, hotlines=lines), self._choices("role", AUDIENCES, ctx.lang))]

    def _help(self, ctx: _Context) -> list[Reply]:
        return [Reply(text("help", ctx.lang))]

    def _about(self, ctx: _Context) -> list[Reply]:
        return [Reply(text("about", ctx.lang))]

    def _topics(self, ctx: _Context) -> list[Reply]:
        return [Reply(text("topics", ctx.lang), self._topic_buttons(ctx.lang))]

    def _emergency(self, ctx: _Context) -> list[Reply]:
        lines = self._hotline_lines(ctx.lang, ("police", "ambulance", "fire", "mental_health"))
        cards = [d for d in self.assistant.knowledge.documents if d.meta.kind == "card" and d.meta.lang == ctx.lang]
        if not cards:
            cards = [d for d in self.assistant.knowledge.documents if d.meta.kind == "card"]
        buttons = tuple((Button(d.meta.title, encode("doc", d.meta.id)),) for d in cards)
        return [Reply(text("emergency", ctx.lang, hotlines=lines), buttons)]

    def _hotlines(self, ctx: _Context) -> list[Reply]:
        hotlines = self.assistant.knowledge.hotlines
        keys = [k for k, h in hotlines.items() if h.region == "CN" or ctx.lang == "en"]
        return [Reply(text("hotlines", ctx.lang, hotlines=self._hotline_lines(ctx.lang, keys)))]

    def _settings(self, ctx: _Context) -> list[Reply]:
        p = ctx.profile
        buttons = (
            (
                Button(text("btn_role", ctx.lang), encode("set", "role")),
                Button(text("btn_grade", ctx.lang), encode("set", "grade")),
                Button(text("btn_lang", ctx.lang), encode("set", "lang")),
            ),
        )
        return [
            Reply(text("settings", ctx.lang, role=label(p.role, ctx.lang), grade=label(p.grade, ctx.lang)), buttons)
        ]

    def _forget(self, ctx: _Context) -> list[Reply]:
        return [
            Reply(
                text("forget_confirm", ctx.lang),
                (
                    (
                        Button(text("btn_yes_forget", ctx.lang), encode("forget", "yes")),
                        Button(text("btn_cancel", ctx.lang), encode("forget", "no")),
                    ),
                ),
            )
        ]

    # -- buttons -------------------------------------------------------------------------

    def _press(self, ctx: _Context, data: str) -> list[Reply]:
        press = decode(data)
        kind, rest, fields = press.kind, press.rest, press.fields
        p = ctx.profile
        if kind == "role" and rest in AUDIENCES:
            self.store.save_profile(Profile(p.chat_id, rest, p.grade, p.lang))
            if p.grade is None:
                return [Reply(text("ask_grade", ctx.lang), self._choices("grade", GRADES, ctx.lang), edit=True)]
            return [Reply(text("saved", ctx.lang), edit=True)]
        if kind == "grade" and rest in GRADES:
            role = p.role or DEFAULT_ROLE
            self.store.save_profile(Profile(p.chat_id, role, rest, p.lang))
            return [
                Reply(text("onboarded", ctx.lang, role=label(role, ctx.lang), grade=label(rest, ctx.lang)), edit=True)
            ]
        if kind == "lang" and rest in LANGS:
            self.store.save_profile(Profile(p.chat_id, p.role, p.grade, rest))
            return [Reply(text("saved", rest), edit=True)]
        if kind == "set":
            options = {"role": ("ask_role", AUDIENCES), "grade": ("ask_grade", GRADES), "lang": ("ask_lang", LANGS)}
            if rest in options:
                key, values = options[rest]
                return [Reply(text(key, ctx.lang), self._choices(rest, values, ctx.lang), edit=True)]
        if kind == "topic" and rest in TOPIC_LABELS:
            return [self._topic_documents(rest, ctx)]
        if kind == "doc":
            return self._show_document(rest, 0, ctx.lang)
        if kind == "full":
            return self._show_whole(rest, ctx.lang)
        if kind == "sec":
            doc_id, index = press.field(0), press.field(1)
            return self._show_document(doc_id, int(index) if index.isdigit() else 0, ctx.lang)
        if kind == "fb":
            return self._feedback(fields, ctx.lang)
        if kind == "chk" and press.field(0) == "y":
            return self._checked(ctx, fields[1:])
        if kind == "forget":
            if rest == "yes":
                self.store.forget(p.chat_id)
                self.turns.forget(p.chat_id)
                return [Reply(text("forgotten", ctx.lang), edit=True)]
            return [Reply(text("cancelled", ctx.lang), edit=True)]
        if kind == "hotlines":
            return self._hotlines(ctx)
        if kind == "sub":
            return self._toggle_subscription(ctx, rest)
        if kind == "ack":
            reminder_id, occurrence = press.field(0), press.field(1)
            self.store.acknowledge(reminder_id, occurrence, p.chat_id)
            return [Reply(text("ack_thanks", ctx.lang))]
        if kind in ("bc", "bcx"):
            return self._confirm_broadcast(ctx, kind == "bc", rest)
        if kind == "quiz" and rest in TOPIC_LABELS:
            return self._quiz(rest, ctx)
        if kind == "ls":
            return self._lesson_step(list(fields), ctx)
        return [Reply(text("gone", ctx.lang))]

    def _feedback(self, fields: tuple[str, ...], lang: str) -> list[Reply]:
        vote, doc_id, index = [*fields, "", "", ""][:3]
        doc = self._document(doc_id)
        if doc is None or vote not in ("u", "d") or not index.isdigit() or int(index) >= len(doc.sections):
            return [Reply(text("gone", lang))]
        self.store.feedback(doc_id, doc.sections[int(index)].heading, vote == "u")
        return [Reply(text("thanks", lang))]

    def _topic_documents(self, topic: str, ctx: _Context) -> Reply:
        docs = [d for d in self.assistant.knowledge.documents if d.meta.topic == topic and d.meta.lang == ctx.lang]
        if not docs:
            docs = [d for d in self.assistant.knowledge.documents if d.meta.topic == topic]
        role = ctx.profile.role or DEFAULT_ROLE
        docs.sort(key=lambda d: (d.meta.kind != "card", role not in d.meta.audiences, d.meta.id))
        buttons = tuple((Button(d.meta.title, encode("doc", d.meta.id)),) for d in docs)
        return Reply(text("topic_docs", ctx.lang, topic=TOPIC_LABELS[topic][ctx.lang]), buttons)

    def _show_whole(self, doc_id: str, lang: str) -> list[Reply]:
        """ "📖 Read more": every section of the document, whole, in order (split into
        messages by the channel's limit), not a table of contents."""
        doc = self._document(doc_id)
        if doc is None:
            return [Reply(text("gone", lang))]
        body = "\n\n".join(render_section(doc, s, doc.meta.lang) for s in doc.sections)
        related = tuple(
            (Button(f"🔗 {self._title(r)}", encode("doc", r)),) for r in doc.meta.related[:3] if self._document(r)
        )
        return [Reply(f"【{doc.meta.title}】\n\n{body}", related)]

    def _show_document(self, doc_id: str, index: int, lang: str) -> list[Reply]:
        doc = self._document(doc_id)
        if doc is None or index >= len(doc.sections):
            return [Reply(text("gone", lang))]
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

    # -- reminders and admin ------------------------------------------------------------

    def _subscribe(self, ctx: _Context) -> list[Reply]:
        if self.store.profile(ctx.profile.chat_id) is None:
            self.store.save_profile(ctx.profile)
        return [Reply(text("subscribe", ctx.lang), self._subscription_buttons(ctx))]

    def _subscription_buttons(self, ctx: _Context) -> tuple[tuple[Button, ...], ...]:
        mine = set(self.store.subscriptions(ctx.profile.chat_id))
        rows = [(Button(text("sub_all", ctx.lang), encode("sub", "all")),)]
        rows += [
            (Button(("✅ " if slug in mine else "") + labels[ctx.lang], encode("sub", slug)),)
            for slug, labels in TOPIC_LABELS.items()
        ]
        return tuple(rows)

    def _toggle_subscription(self, ctx: _Context, topic: str) -> list[Reply]:
        chat = ctx.profile.chat_id
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
            return [Reply(text("gone", ctx.lang))]
        return [Reply(text("subscribe", ctx.lang), self._subscription_buttons(ctx), edit=True)]

    def _unsubscribe(self, ctx: _Context) -> list[Reply]:
        self.store.unsubscribe(ctx.profile.chat_id)
        return [Reply(text("unsubscribed", ctx.lang))]

    def _reminders(self, ctx: _Context) -> list[Reply]:
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

    def _is_admin(self, ctx: _Context) -> bool:
        if ctx.profile.chat_id in self.admins:
            return True
        self.store.count("admin:refused")
        logger.warning("refused an admin command from a non-admin chat")
        return False

    def _broadcast(self, ctx: _Context, message: str) -> list[Reply]:
        if not self._is_admin(ctx):
            return [Reply(text("not_admin", ctx.lang))]
        if not message:
            return [Reply(text("broadcast_usage", ctx.lang))]
        draft = self.store.draft_broadcast(message)
        preview = text("broadcast_preview", ctx.lang, message=message)
        return [
            Reply(
                preview,
                (
                    (
                        Button(text("btn_send", ctx.lang), encode("bc", draft)),
                        Button(text("btn_cancel", ctx.lang), encode("bcx", draft)),
                    ),
                ),
            )
        ]

    def _confirm_broadcast(self, ctx: _Context, confirmed: bool, draft: str) -> list[Reply]:
        if not self._is_admin(ctx):
            return [Reply(text("not_admin", ctx.lang))]
        found = self.store.broadcast(int(draft)) if draft.isdigit() else None
        if found is None or found[1] != "draft":
            return [Reply(text("gone", ctx.lang), edit=True)]
        if not confirmed:
            return [Reply(text("cancelled", ctx.lang), edit=True)]
        queued = self.store.enqueue_broadcast(int(draft))
        return [Reply(text("broadcast_queued", ctx.lang, count=str(queued)), edit=True)]

    def _stats(self, ctx: _Context) -> list[Reply]:
        if not self._is_admin(ctx):
            return [Reply(text("not_admin", ctx.lang))]
        figures = self.store.subscriber_figures()
        questions = self.store.counters("questions:")
        acks = self.store.acknowledgement_counts()
        lines = [
            "subscribers by role: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["role"].items())),
            "subscribers by topic: " + ", ".join(f"{k} {v}" for k, v in sorted(figures["topic"].items())),
            "questions by topic: " + ", ".join(f"{k.split(':', 1)[1]} {v}" for k, v in sorted(questions.items())),
            f"unanswered: {self.store.counters('unanswered').get('unanswered', 0)}",
            f"refused admin commands: {self.store.counters('admin:').get('admin:refused', 0)}",
            "acknowledgements: " + ", ".join(f"{r}/{a} {n}" for (r, a), n in sorted(acks.items())),
        ]
        return [Reply("\n".join(lines))]

    # -- quizzes and lesson material ---------------------------------------------------

    def _quiz_menu(self, ctx: _Context) -> list[Reply]:
        buttons = tuple((Button(labels[ctx.lang], encode("quiz", slug)),) for slug, labels in TOPIC_LABELS.items())
        return [Reply(text("quiz_topics", ctx.lang), buttons)]

    def _quiz(self, topic: str, ctx: _Context) -> list[Reply]:
        seed = int(self.assistant.today().strftime("%j")) + ctx.profile.chat_id
        questions = self.assistant.quizzes.pick(topic, ctx.profile.grade, ctx.lang, QUIZ_LENGTH, seed=seed)
        if not questions:
            return [Reply(text("gone", ctx.lang))]
        intro = Reply(text("quiz_intro", ctx.lang, topic=TOPIC_LABELS[topic][ctx.lang], count=str(len(questions))))
        polls = [Reply("", poll=QuizPoll(q.question, tuple(q.options), q.answer, q.explanation)) for q in questions]
        return [intro, *polls]

    def _lesson_menu(self, ctx: _Context) -> list[Reply]:
        buttons = tuple((Button(labels["zh"], encode("ls", slug)),) for slug, labels in TOPIC_LABELS.items())
        return [Reply(text("lesson_topic", ctx.lang), buttons)]

    def _lesson_step(self, parts: list[str], ctx: _Context) -> list[Reply]:
        """topic → grade → kind → format, one button press each; the data carries the
        choices so far, so nothing is kept between presses."""
        topic = parts[0] if parts else ""
        if topic not in TOPIC_LABELS:
            return [Reply(text("gone", ctx.lang))]
        chosen = tuple(parts)
        if len(parts) == 1:
            options = [(label(g, ctx.lang), g) for g in LESSON_GRADES]
            return [Reply(text("lesson_grade", ctx.lang), self._row(options, chosen), edit=True)]
        if len(parts) == 2 and parts[1] in LESSON_GRADES:
            options = [(text(f"kind_{k}", ctx.lang), k) for k in LESSON_KINDS]
            return [Reply(text("lesson_kind", ctx.lang), self._row(options, chosen), edit=True)]
        if len(parts) == 3 and parts[2] in LESSON_KINDS:
            options = [(text(f"format_{f}", ctx.lang), f) for f in LESSON_FORMATS]
            return [Reply(text("lesson_format", ctx.lang), self._row(options, chosen), edit=True)]
        if len(parts) == 4 and parts[3] in LESSON_FORMATS:
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
        return [Reply(text("gone", ctx.lang))]

    @property
    def lessons(self) -> LessonMaker:
        if self._lessons is None:
            self._lessons = LessonMaker(self.assistant.knowledge, self.assistant.quizzes)
        return self._lessons

    @staticmethod
    def _row(options: list[tuple[str, str]], prefix: tuple[str, ...]) -> tuple[tuple[Button, ...], ...]:
        buttons = [Button(name, encode("ls", *prefix, value)) for name, value in options]
        return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))

    # -- helpers -------------------------------------------------------------------------

    def _document(self, doc_id: str) -> Document | None:
        try:
            doc = self.assistant.knowledge.document(doc_id)
        except KeyError:
            return None
        return None if doc.is_expired(self.assistant.today()) else doc

    def _topic_of(self, doc_id: str) -> str:
        doc = self._document(doc_id)
        return doc.meta.topic if doc else "unknown"

    def _title(self, doc_id: str) -> str:
        doc = self._document(doc_id)
        return doc.meta.title if doc else doc_id

    def _hotline_lines(self, lang: str, keys: list[str] | tuple[str, ...]) -> str:
        hotlines = self.assistant.knowledge.hotlines
        return "\n".join(f"📞 {hotlines.line(k, lang)}" for k in keys if k in hotlines)

    @staticmethod
    def _choices(kind: str, values: tuple[str, ...], lang: str) -> tuple[tuple[Button, ...], ...]:
        buttons = [Button(label(v, lang), encode(kind, v)) for v in values]
        return tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))

    def _topic_buttons(self, lang: str) -> tuple[tuple[Button, ...], ...]:
        return tuple((Button(labels[lang], encode("topic", slug)),) for slug, labels in TOPIC_LABELS.items())
