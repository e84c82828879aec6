"""The answering core shared by `safebot ask`, the terminal chat and the bot: triage
first, then retrieval, then a grounded reply. Built once per process."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.answer import compose_reply
from bot.settings import Settings
from bot.triage import Triager, Verdict
from index import Preferences, SearchIndex, SearchResult, open_index
from index.embedders import get_embedder
from index.errors import BadInputError, KnowledgeError
from index.knowledge import Knowledge, load_knowledge
from index.quizzes import Quizzes, load_quizzes
from index.text import detect_lang

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    question: str
    verdict: Verdict
    result: SearchResult
    reply: str
    lang: str

    def to_json(self) -> dict[str, object]:
        return {
            "question": self.question,
            "triage": self.verdict.label,
            "confident": self.result.confident,
            "results": [hit.to_json() for hit in self.result.hits],
            "reply": self.reply,
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
        self, question: str, prefs: Preferences | None = None, *, top_k: int = 5, today: dt.date | None = None
    ) -> Answer:
        if not question.strip():
            raise BadInputError("empty question: type what you want to ask")
        prefs = prefs or Preferences()
        lang = prefs.lang or detect_lang(question)
        try:
            vector = self.index.embed_query(question)
        except Exception:  # triage must work even when the embedder does not
            logger.exception("query embedding failed; triage by rules only")
            vector = None
        verdict = self.triager.classify(question, vector)
        lead = self.triager.reply(verdict, lang, self.knowledge)
        result = self.index.search(question, top_k=top_k, prefs=prefs, today=today or self.today(), vector=vector)
        if verdict.label == "crisis":
            # A crisis reply stands alone: never a search result under it.
            reply = lead or ""
        else:
            # the card's section is already in the lead: never print it twice
            shown = self.triager.card_section(verdict, lang, self.knowledge) if lead else None
            reply = compose_reply(result, self.knowledge.hotlines, lang, lead=lead, skip=shown)
        return Answer(question, verdict, result, reply, lang)
