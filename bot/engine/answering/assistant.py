"""The answering core shared by `safebot ask`, the terminal chat and the bot: triage
first, then retrieval, then a grounded reply. Built once per process."""

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from bot.engine.answering.answer import SCREEN, danger_line, locale_note, not_confident, render_section
from bot.engine.answering.asker import who_is_asking
from bot.engine.answering.followup import Turn, is_follow_up, situation
from bot.engine.answering.two_part import question_parts
from bot.engine.triage import ADULTS, NONE, OWN_CARD_WITHIN, Triager, Verdict
from bot.settings import Settings
from bot.texts import text
from index import Preferences, SearchIndex, SearchResult, open_index
from index.embedders import get_embedder
from index.errors import BadInputError, KnowledgeError
from index.knowledge import Knowledge, load_knowledge
from index.quizzes import Quizzes, load_quizzes
from index.search import CONFIDENT_QUESTION
from index.text import WORDS, detect_lang, normalize

logger = logging.getLogger(__name__)

# A runner-up section scored at least this share of the chosen one is named under the
# answer: ranking often cannot tell the two apart (rescue vs after-rescue), and a
# heading that says the answer costs one line (benchmarks/answer_quality.py).
RELATED_AT = 0.9

# A health question always hears "see a doctor": by the topic of its answer, or by its
# own words when nothing answers it (a diagnosis or a medicine is never ours to give).
HEALTH_TOPICS = {"public_health"}
_HEALTH_WORDS = re.compile(
    r"药|发烧|发热|症状|诊断|确诊|病了|生病|抑郁症|焦虑症|疫苗|咳嗽|拉肚子|腹泻|呕吐|过敏|"
    r"\b(medicine|medication|diagnos\w*|symptoms?|fever|sick|illness|disease|vaccin\w*|depression|anxiety disorder)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    question: str
    verdict: Verdict
    result: SearchResult
    reply: str
    lang: str
    sections: tuple[tuple[str, str], ...] = ()  # (document, heading) the reply shows, in order
    audience: str | None = None  # who the reply speaks to: from the question, else the profile
    scope: str = "answer"  # "answer", "unsure" (nearest sections offered), "out_of_scope" or "small_talk"
    card: tuple[str, str] | None = None  # (document, heading) of the card section the reply leads with
    related: tuple[str, str] | None = None  # a close runner-up section, named in one line under the answer

    @property
    def kept(self) -> tuple[str, str] | None:
        """The section a follow-up is read with: the first section shown, or the card
        when the card alone answered ("溺水没呼吸怎么救", then "那婴儿呢")."""
        return (self.sections or (self.card,))[0]

    @property
    def confident(self) -> bool:
        """True only when a section that answers the question is in the reply."""
        return bool(self.sections or self.card) and self.scope in ("answer", "crisis")

    def to_json(self) -> dict[str, object]:
        doc_id, heading = ([self.card] if self.card else [*self.sections, (None, None)])[0]
        return {
            "question": self.question,
            "triage": self.verdict.label,
            "confident": self.confident,
            "results": [hit.to_json() for hit in self.result.hits],
            "reply": self.reply,
            "section": {"doc_id": doc_id, "heading": heading} if doc_id else None,
            "audience_used": self.audience,
        }


class Assistant:
    def __init__(
        self,
        knowledge: Knowledge,
        index: SearchIndex,
        triager: Triager,
        today: Callable[[], dt.date] = dt.date.today,
        quizzes: Quizzes | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.quizzes = quizzes or load_quizzes(
            knowledge.root, knowledge.hotlines, {d.meta.id for d in knowledge.documents}
        )
        self.index = index
        self.triager = triager
        self.today = today  # a clock, so tests can say what day it is
        self._not_held = [re.compile(p, re.IGNORECASE) for p in knowledge.not_held]
        self._not_safety = [re.compile(p, re.IGNORECASE) for p in knowledge.not_safety]
        self._contrary = [(re.compile(a, re.IGNORECASE), re.compile(n, re.IGNORECASE)) for a, n in knowledge.contrary]

    @classmethod
    def open(cls, settings: Settings) -> "Assistant":
        knowledge = load_knowledge(settings.knowledge_dir).require_valid()
        embedder = get_embedder(settings.embedder)
        index = open_index(settings.knowledge_dir, settings.data_dir, embedder)
        triager = Triager.from_knowledge(knowledge, index.triage)
        quizzes = load_quizzes(knowledge.root, knowledge.hotlines, {d.meta.id for d in knowledge.documents})
        if quizzes.problems:
            raise KnowledgeError(f"{quizzes.problems[0]} (run `safebot kb check`)")
        return cls(knowledge, index, triager, quizzes=quizzes)

    def answer(
        self,
        question: str,
        prefs: Preferences | None = None,
        *,
        top_k: int = 5,
        today: dt.date | None = None,
        previous: Turn | None = None,
    ) -> Answer:
        """Triage reads the message alone; search reads it with the previous turn's
        topic when it is a follow-up; who asks decides which card and sections speak."""
        if not question.strip():
            raise BadInputError("empty question: type what you want to ask")
        prefs = prefs or Preferences()
        if self.triager.is_small_talk(question):
            # thanks, hello, ok: a friendly line in the message's language ("👍" in the
            # one asked for), the same from every channel; nothing to triage or search
            said = detect_lang(question) if WORDS.search(question) else prefs.lang or detect_lang(question)
            empty = SearchResult(question, [], False, False, 0.0)
            return Answer(question, NONE, empty, text("small_talk", said), said, scope="small_talk")
        profile = prefs.audience
        lang = prefs.lang or detect_lang(question)
        asker = who_is_asking(question)
        follow_up = previous is not None and is_follow_up(question)
        audience = asker or (previous.audience if follow_up and previous else None) or prefs.audience
        prefs = replace(prefs, audience=audience)
        vector = self._embed(question)
        verdict = self.triager.classify(question, vector)
        # a follow-up is searched with the situation the previous answer was about (a
        # heading's part before its colon), not its answer: "电动车带孩子：…戴头盔" would
        # pull "那自行车呢" to helmets rather than to the riding ages
        query = f"{situation(previous.heading)}\n{question}" if follow_up and previous else question
        query_vector = self._embed(query) if follow_up else vector
        if follow_up and verdict.rule == "classifier" and query_vector is not None:
            verdict = self.triager.in_context(verdict, self.triager.classify(query, query_vector))
        verdict = self.triager.for_asker(verdict, asker)
        # a brand, a price, a sign-up: no section answers that, however close it looks;
        # the nearest one is still shown, as related help under a line that says so.
        # Nor is such a request asked whether someone is in danger now.
        not_held = not verdict.urgent and any(p.search(normalize(question)) for p in self._not_held)
        if not_held and verdict.label == "check":
            verdict = NONE
        # "write my essay", "solve this problem": no safety question however near its
        # words come to a section (a dragon story landed on the knife card)
        not_safety = verdict.label in ("none", "check") and any(p.search(normalize(question)) for p in self._not_safety)
        day = today or self.today()
        if follow_up and previous:
            result = self._search(query, question, top_k, prefs, day, query_vector)
            # the previous turn settled the topic: a follow-up ("初中生呢") resembles no
            # authored question, so only the out-of-scope margin can still turn it away
            result = replace(result, confident=bool(result.hits) and result.margin >= 0)
        else:
            result = self._search(question, question, top_k, prefs, day, vector)
            if verdict.label == "none" and result.question_match < CONFIDENT_QUESTION:
                # a card nearest stands for a scene no authored question resembles; with
                # no danger in the message it is only a near word ("笑死我了" is no death)
                result = replace(result, confident=False)
        if not_safety:
            return Answer(question, NONE, result, text("not_safety", lang), lang, (), audience, "out_of_scope", None)
        ranked = self._keys(result) if result.confident else []
        # Who a disclosure card speaks to: the question first, else an adult's profile
        # (a teacher relaying what a pupil said needs the duty to report, not "it is
        # not your fault"). Crisis and emergency cards trust the question alone: a
        # child in danger may be typing on a parent's phone.
        speaker = asker or (profile if profile in ADULTS and verdict.label == "disclosure" else None)
        if verdict.label == "disclosure" and verdict.rule == "classifier" and asker in ADULTS:
            verdict = NONE
        # the card's sections nearest the message, for when search does not place the
        # card: a worried parent's "说活着没意思" needs "怀疑孩子想自杀", not the rooftop
        card_id = verdict.card_for(lang)
        by_nearness = self.index.rank_sections(vector, card_id) if card_id and vector is not None else []
        lead, shown = self.triager.reply(verdict, lang, self.knowledge, speaker, ranked, by_nearness)
        if verdict.label == "crisis" and not (asker in ADULTS and verdict.card_is_reply):
            # A child's crisis reply stands alone: never a search result under it.
            return Answer(question, verdict, result, lead or "", lang, (), audience, "crisis", shown)
        skip = {shown, (previous.doc_id, previous.heading) if follow_up and previous else None}
        chosen, related, card_first = self._sections(
            question,
            result,
            lang,
            prefs,
            day,
            skip,
            shown,
            own_topic=verdict.label == "crisis",
            ruled=verdict if verdict.rule not in (None, "classifier") else None,
        )
        # the card alone answers when search ranks it first
        answered = chosen or card_first
        if not_held:
            chosen, scope, related = chosen[:1], "unsure", None
        elif answered:
            scope = "answer"
        elif result.margin < 0 or not result.hits:
            scope = "out_of_scope"
        else:
            # Not sure, but on topic: the nearest section is still shown, under a line
            # that says so, when search agrees on its topic (a worried parent gets more
            # from it than from a topic menu; a poem request that lands near fireworks,
            # then near a lesson plan, gets neither). Never under an urgent card: there
            # the card's steps are the answer. Nor is a card offered as a guess to a
            # message triage let through: "a murder-mystery party game" drew "your friend
            # took pills", then "a friend was sexually abused".
            scope = "unsure"
            if (not lead or verdict.label == "check") and self._agreed(result):
                keys = self._keys(result)
                nearest = next(
                    (
                        k
                        for k in keys
                        if k not in skip
                        and (not shown or self._beside(shown, k))
                        and not (verdict.label == "none" and self._is_card(k[0]))
                    ),
                    None,
                )
                chosen = [nearest] if nearest else []
        reply = self._compose(question, result, chosen, lang, lead, scope, verdict.label == "check", not_held, related)
        return Answer(question, verdict, result, reply, lang, tuple(chosen), audience, scope, shown, related)

    def _search(
        self, query: str, question: str, top_k: int, prefs: Preferences, day: dt.date, vector: np.ndarray | None
    ) -> SearchResult:
        """Search, without the sections whose heading says the opposite of the
        question's state (knowledge/scope.yaml `contrary`): embeddings read "没呼吸" and
        "有呼吸但叫不醒" as one thing, and the two need opposite first aid."""
        text = normalize(question)
        against = [n for a, n in self._contrary if a.search(text)]
        # the sections removed leave room: `top_k` is what the caller gets
        extra = 5 if against else 0
        result = self.index.search(query, top_k=top_k + extra, prefs=prefs, today=day, vector=vector)
        hits = [h for h in result.hits if not any(n.search(h.chunk.section) for n in against)][:top_k]
        return replace(result, hits=hits, confident=result.confident and bool(hits))

    def _embed(self, text: str) -> np.ndarray | None:
        try:
            return self.index.embed_query(text)
        except Exception:  # triage must work even when the embedder does not
            logger.exception("query embedding failed; triage by rules only")
            return None

    def _sections(
        self,
        question: str,
        result: SearchResult,
        lang: str,
        prefs: Preferences,
        day: dt.date,
        skip: set[tuple[str, str] | None],
        card: tuple[str, str] | None = None,
        own_topic: bool = False,
        ruled: Verdict | None = None,
    ) -> tuple[list[tuple[str, str]], tuple[str, str] | None, bool]:
        """The sections that answer: the best one, and the best for a second question
        asked in the same message when that is another section; the runner-up worth
        naming under them (RELATED_AT); and whether search ranks the card the reply
        leads with near the top, which makes the card an answer. Under that card, no
        other situation's card may follow (`_beside`). When the card is near the top,
        it answers alone, and a close runner-up on its topic is only named: someone in
        danger needs one screen, not two (and a charcoal-burner headache is not about
        fever medicine). Under an adult's crisis card (`own_topic`), only its own topic
        follows: a parent whose child stands on a balcony must not read about choking.
        Under a rule's card (`ruled`, the rule's verdict), no section another rule leads
        with follows: a child clutching his throat over a grape must not read the stroke
        section "说不出话" brought up."""
        if not result.confident:
            return [], None, False
        keys = self._keys(result)
        if card:
            topic = self.knowledge.document(card[0]).meta.topic
            keys = [
                k
                for k in keys
                if self._beside(card, k, ruled) and (not own_topic or self.knowledge.document(k[0]).meta.topic == topic)
            ]
        card_first = card is not None and card in keys[:OWN_CARD_WITHIN]
        parts = question_parts(question, lang)
        if card and card_first and len(parts) < 2:
            near = [k for k in keys if self.knowledge.document(k[0]).meta.topic == topic]
            if own_topic:
                # an adult's crisis card says what to do this minute; a guide its authors
                # linked to it says what comes next (the self-harm guide after "I found
                # cuts"; not the runaway section search also finds for "says she'll jump")
                guide = next(
                    (
                        k
                        for k in near
                        if k not in skip and not self._is_card(k[0]) and self.knowledge.related(card[0], k[0])
                    ),
                    None,
                )
                return ([guide] if guide else []), None, True
            return [], self._runner_up(result, near, [card], skip), True
        chosen = [k for k in keys if k not in skip][:1]
        if chosen and len(parts) == 2:
            # the second clause often leans on the first ("萝卜刀算管制刀具吗 学校能没收吗")
            context = f"{parts[1]}\n{parts[0]}"
            first = self._search(parts[0], parts[0], 3, prefs, day, self._embed(parts[0]))
            second = self._search(context, parts[1], 3, prefs, day, self._embed(context))
            picks = [next((k for k in self._keys(part) if k not in skip), None) for part in (first, second)]
            # both parts landing on one section: that section answers the two at once
            if first.confident and second.confident and picks[0] and picks[1] and picks[0] != picks[1]:
                return [picks[0], picks[1]], None, card_first
        return chosen, self._runner_up(result, keys, chosen, skip), card_first

    def _agreed(self, result: SearchResult) -> bool:
        """Whether the nearest section's topic comes up again among the next two."""
        topics = [self.knowledge.document(h.chunk.doc_id).meta.topic for h in result.hits[:3]]
        return bool(topics) and topics[0] in topics[1:]

    def _is_card(self, doc_id: str) -> bool:
        return self.knowledge.document(doc_id).meta.kind == "card"

    def _beside(self, card: tuple[str, str], key: tuple[str, str], ruled: Verdict | None = None) -> bool:
        """Whether the section `key` may follow the card a reply leads with: any
        guide's, the card's own, or one of a card its authors linked to it that (under
        a rule's card) no other rule leads with; any other card is another situation (a
        fire scene must not go on about a gas leak)."""
        doc_id, heading = key
        if not self._is_card(doc_id) or doc_id == card[0]:
            return True
        if not self.knowledge.related(card[0], doc_id):
            return False
        return ruled is None or not self.triager.led_by_another(ruled, doc_id, heading, self.knowledge)

    @staticmethod
    def _runner_up(
        result: SearchResult,
        keys: list[tuple[str, str]],
        chosen: list[tuple[str, str]],
        skip: set[tuple[str, str] | None],
    ) -> tuple[str, str] | None:
        score = {(h.chunk.doc_id, h.chunk.section): h.score for h in result.hits}
        rest = [k for k in keys if k not in skip and k not in chosen]
        if not chosen or not rest or score[chosen[0]] <= 0:
            return None
        return rest[0] if score[rest[0]] >= RELATED_AT * score[chosen[0]] else None

    @staticmethod
    def _keys(result: SearchResult) -> list[tuple[str, str]]:
        return [(h.chunk.doc_id, h.chunk.section) for h in result.hits]

    def _compose(
        self,
        question: str,
        result: SearchResult,
        chosen: list[tuple[str, str]],
        lang: str,
        lead: str | None,
        scope: str,
        check: bool,
        not_held: bool = False,
        related: tuple[str, str] | None = None,
    ) -> str:
        hotlines = self.knowledge.hotlines
        parts = [lead] if lead else []
        if result.truncated:
            parts.append(text("truncated", lang))
        if not_held:
            parts.append(text("not_held", lang))
        used = sum(len(p) for p in parts)
        budget = max(SCREEN[lang] - used, SCREEN[lang] // 2) // max(1, len(chosen))
        topics = set()
        if scope == "unsure" and chosen and not not_held:
            parts.append(text("unsure", lang))
        for doc_id, heading in chosen:
            doc = self.knowledge.document(doc_id)
            section = next(s for s in doc.sections if s.heading == heading)
            parts.append(render_section(doc, section, lang, budget))
            topics.add(doc.meta.topic)
        if not chosen and not not_held and (not lead or check):  # a check-in promises "the answer below"
            # after a check-in, never "outside what I can help with": someone may be in danger
            off = scope == "out_of_scope" and not check
            parts.append(text("out_of_scope", lang) if off else not_confident(hotlines, lang))
        if scope == "unsure" and chosen and not lead:
            parts.append(danger_line(hotlines, lang))
        if related:
            parts.append(text("related", lang, heading=related[1]))
        if topics & HEALTH_TOPICS or _HEALTH_WORDS.search(question):
            parts.append(text("see_doctor", lang))
        reply = "\n\n".join(parts)
        if lang == "en" and any(h.number in reply for h in hotlines.values() if h.region == "CN"):
            reply += "\n\n" + locale_note(hotlines)
        return reply
