"""Follow-ups ("那如果是在游泳馆呢", "初中生呢", "what about the beach?") only make sense
with the previous question's topic. A chat keeps that topic (the section it was
answered with and who asked) for a few minutes in memory, never the text it wrote."""

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from index.text import normalize

KEEP_SECONDS = 600
_MAX_CHATS = 10_000
_LEADS = re.compile(
    r"^(那(?![个些种天边时年次里儿])|那么|如果是|要是是|换成|换做|还有)|"
    # "如果还是止不住呢", "还没好怎么办": the thing that did not stop is the last answer's
    r"^((如果|要是)(他|她|它)?)?还(是)?(不|没|止不住|在)|"
    r"^(what about|how about|and if|and what about|what if (it|he|she|they|that)|"
    r"and for|same for|and at|and in|and on)\b",
    re.IGNORECASE,
)
# "初中生呢": a short clause ending in 呢 leans on the previous question; a long one
# ("孩子不想上学怎么办呢") is a question of its own
_SHORT_NE = re.compile(r"^.{1,7}呢[?？。!！~～\s]*$")
# A short message whose subject is only a pronoun ("她说不疼 还要去打针吗", "he's 7,
# is that too young?", "it's a baby, 8 months") or that asks about "that" ("does that
# count?") says who or what it is about only through the previous question.
_PRONOUN = re.compile(
    r"^((好的?|嗯|哦|噢|可是|但是|不过|可)[，,\s]*)?((他|她|它)(?!们)|这(钱|种|样|事|病|药|针|些))|"
    r"^((ok|okay|but|and|so|well|yes|yeah|no|hmm|um|also)[,.!\s]+)*"
    r"(he|she|it|they|that|this|his|her|their)('s|'re|'ve|'d|’s|\b)|"
    r"\b(though|instead)\b[?.!\s]*$|\b(does|is|would|will|can) (that|this|it) (count|work|matter|help|be)\b",
    re.IGNORECASE,
)
_SHORT = {"zh": 30, "en": 120}


@dataclass(frozen=True)
class Turn:
    """What the previous answer was about: knowledge, not the user's words."""

    doc_id: str
    heading: str
    audience: str
    at: float


def situation(heading: str) -> str:
    """What a section heading says the situation is: headings read "situation: what to
    do" ("Caught in a rip current: don't swim against it")."""
    return re.split(r"[：:]", heading, maxsplit=1)[0]


def is_follow_up(question: str) -> bool:
    text = normalize(question).strip()
    short = len(text) <= _SHORT["en" if text.isascii() else "zh"]
    return bool(_LEADS.search(text) or _SHORT_NE.search(text) or (short and _PRONOUN.search(text)))


class Turns:
    """The last answered turn per chat, forgotten after KEEP_SECONDS. Thread-safe: the
    channels call the engine from worker threads."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._last: dict[int, Turn] = {}
        self._lock = threading.Lock()

    def remember(self, chat_id: int, doc_id: str, heading: str, audience: str) -> None:
        with self._lock:
            if len(self._last) >= _MAX_CHATS:
                self._expire()
            self._last[chat_id] = Turn(doc_id, heading, audience, self._clock())

    def recall(self, chat_id: int) -> Turn | None:
        with self._lock:
            turn = self._last.get(chat_id)
            if turn is not None and self._clock() - turn.at > KEEP_SECONDS:
                del self._last[chat_id]
                return None
            return turn

    def forget(self, chat_id: int) -> None:
        with self._lock:
            self._last.pop(chat_id, None)

    def _expire(self) -> None:
        now = self._clock()
        for chat, turn in list(self._last.items()):
            if now - turn.at > KEEP_SECONDS:
                del self._last[chat]
