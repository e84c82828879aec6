"""Safety triage runs before any search: a message about suicide, a danger happening now
or a child disclosing harm gets a fixed, reviewed reply that cannot depend on retrieval
working. Rules live in knowledge/triage.yaml so reviewers can read and change them.

Rules come first and are a floor: spans that only look alarming (exaggeration, game
slang, questions about prevention) are blanked out, then the rules are tried in order of
severity, and whatever a rule catches stays caught. A message no rule caught goes to the
learned classifier (index/triage_model.py), which reads scenes told without alarm words:
sure enough, the full verdict with the card for its situation; unsure, a short check-in
("check"). Only the verdict is ever logged, never the message."""

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from index.knowledge import Knowledge
from index.text import key_points, normalize
from index.triage_file import Label, TriageFile, load_triage_file
from index.triage_model import URGENT, TriageModel

logger = logging.getLogger(__name__)

SEVERITY: tuple[Label, ...] = ("crisis", "emergency", "disclosure")


@dataclass(frozen=True)
class Verdict:
    label: str  # "none", "check" (unsure: ask first) or a Label
    rule: str | None = None  # the rule's id, or "classifier"
    card: dict[str, str] | None = None
    card_is_reply: bool = False
    suspected: str | None = None  # for "check": the label it would be if the answer is yes

    @property
    def urgent(self) -> bool:
        return self.label in ("crisis", "emergency")

    def card_for(self, lang: str) -> str | None:
        """The card's document in the reader's language, else the Chinese one."""
        return (self.card or {}).get(lang) or (self.card or {}).get("zh")


class Lead(NamedTuple):
    """What a reply opens with, and the card section it shows (printed once)."""

    text: str | None
    section: tuple[str, str] | None


NONE = Verdict("none")
# the triage card's own section within this many of search's top ranks leads the reply
OWN_CARD_WITHIN = 3
ADULTS = ("parent", "teacher")


def _names_help(knowledge: Knowledge, text: str) -> bool:
    """Whether a text names a number for danger now (police, ambulance) and a crisis line."""
    text = knowledge.hotlines.render(text)
    numbers = {k: h.number for k, h in knowledge.hotlines.items()}
    now = any(numbers[k] in text for k in ("police", "ambulance") if k in numbers)
    return now and any(numbers[k] in text for k in ("mental_health", "us_crisis") if k in numbers)


def _label_cards(spec: TriageFile, model: TriageModel | None) -> dict[str, set[str]]:
    """The cards that speak to each urgent label: its rules' and the adults' cards, and
    the cards of the situations its examples describe. A card search ranks first may
    stand in for the triage card only when it speaks to the same label: an emergency
    ("有人游过来救我 能抱住他吗") never leads with the suicide card."""
    cards: dict[str, set[str]] = defaultdict(set)
    for rule in spec.rules:
        cards[rule.label].update(rule.cards.values())
    for adult_label, adult in spec.for_adults.items():
        cards[adult_label].update(adult.cards.values())
    if model is not None:
        for label in URGENT:
            for known in filter(None, map(spec.situations.get, model.situations_of(label))):
                cards[label].update(known.cards.values())
    return cards


class Triager:
    def __init__(self, spec: TriageFile, model: TriageModel | None = None) -> None:
        """Without a `model` (an index built before the examples existed) only the rules run."""
        self._spec = spec
        self._model = model
        self._ignore = [re.compile(p, re.IGNORECASE) for p in spec.ignore]
        order = {label: i for i, label in enumerate(SEVERITY)}
        self._rules = sorted(spec.rules, key=lambda r: order[r.label])
        self._compiled = {r.id: [re.compile(p, re.IGNORECASE) for p in r.patterns] for r in self._rules}
        self._unless = {r.id: [re.compile(p, re.IGNORECASE) for p in r.unless] for r in self._rules}
        self._skip = [re.compile(p, re.IGNORECASE) for p in (spec.classifier.skip if spec.classifier else [])]
        self._general = [re.compile(p, re.IGNORECASE) for p in (spec.classifier.general if spec.classifier else [])]
        self._others = {
            name: [re.compile(p, re.IGNORECASE) for p in s.others] for name, s in spec.situations.items() if s.otherwise
        }
        self._label_cards = _label_cards(spec, model)
        self._lead = {(r.id, card): r.lead for r in spec.rules for card in r.cards.values()}

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge, model: TriageModel | None = None) -> "Triager":
        return cls(load_triage_file(knowledge.root / "triage.yaml", knowledge), model)

    def classify(self, message: str, vector: np.ndarray | None = None) -> Verdict:
        """Rules first; then, given the message's embedding, the classifier. A failure
        of the learned step never hides a rule."""
        verdict = self._by_rules(message)
        if verdict.label != "none" or vector is None or self._model is None or self._spec.classifier is None:
            return verdict
        return self._by_classifier(message, vector)

    def is_small_talk(self, message: str) -> bool:
        """Thanks, hello, ok: nothing to triage or to search for."""
        return any(p.search(normalize(message).strip()) for p in self._skip)

    def tier(self, message: str, probs: dict[str, float]) -> str:
        """Where the classifier's probabilities put a message: "full" (the verdict) when
        it is surely urgent; "check" (ask whether someone is in danger now) when a
        danger, crisis or emergency, is likely enough to ask about, unless the rules saw
        the writer's own framing (exaggeration, game talk, a lesson question) or it is
        asked in general ("…安全吗"); else "none": a general question about bullying is
        answered by the guidance. The one decision the bot, the tests and the benchmark
        all use."""
        thresholds = self._spec.classifier
        assert thresholds is not None
        if 1.0 - probs.get("none", 0.0) >= thresholds.urgent_at:
            return "full"
        danger = probs.get("crisis", 0.0) + probs.get("emergency", 0.0)
        text = normalize(message).lower()
        framed = any(p.search(text) for p in self._ignore) or any(p.search(text) for p in self._general)
        return "check" if danger >= thresholds.check_at and not framed else "none"

    def _by_classifier(self, message: str, vector: np.ndarray) -> Verdict:
        if self.is_small_talk(message):
            return NONE
        reading = self._model.predict(vector, message)  # type: ignore[union-attr]
        found = self.tier(message, reading.probs)
        if found == "none":
            return NONE
        # a check-in asks about a danger now: it suspects a crisis or an emergency
        label = reading.label if found == "full" else max(("crisis", "emergency"), key=lambda k: reading.kinds[k])
        situation = reading.situation_for(label)
        known = self._spec.situations.get(situation)
        if known and known.otherwise and not any(p.search(normalize(message)) for p in self._others[situation]):
            known = self._spec.situations[known.otherwise]  # the writer's own farewell
        card = known.cards if known else None
        is_reply = bool(known and known.card_is_reply)
        logger.info("triage: %s (classifier)", label if found == "full" else "check")
        if found == "full":
            return Verdict(label, "classifier", card, is_reply)
        return Verdict("check", "classifier", card, is_reply, suspected=label)

    def _by_rules(self, message: str) -> Verdict:
        """A rule fires on the message with its framing spans blanked out; its `unless`
        reads the whole message, framing included ("防溺水班会…情景演练" is a drill
        even where the lesson words were blanked)."""
        whole = normalize(message).lower()
        text = whole
        for pattern in self._ignore:
            text = pattern.sub(" ", text)
        for rule in self._rules:
            if any(p.search(text) for p in self._compiled[rule.id]) and not any(
                p.search(whole) for p in self._unless[rule.id]
            ):
                logger.info("triage: %s", rule.label)
                return Verdict(rule.label, rule.id, rule.cards or None, rule.card_is_reply)
        return NONE

    @staticmethod
    def in_context(alone: Verdict, read_with_context: Verdict) -> Verdict:
        """The classifier's verdict on a follow-up ("那电动车呢", "it's a baby, 8
        months"): a fragment read alone is noise to it, so an alarm must hold both alone
        and read after the previous answer's heading, and the situation (the card) is
        the one read in context. Rules are never lowered: only a classifier verdict
        comes here."""
        rank = {"none": 0, "check": 1}
        level = min(rank.get(alone.label, 2), rank.get(read_with_context.label, 2))
        if level == 0:
            return NONE
        if level == 2:
            return read_with_context
        v = read_with_context
        suspected = v.suspected or (v.label if v.label in ("crisis", "emergency") else alone.suspected)
        return Verdict("check", "classifier", v.card or alone.card, v.card_is_reply, suspected)

    def for_asker(self, verdict: Verdict, asker: str | None) -> Verdict:
        """A parent or teacher writing about a child gets the card written for adults,
        unless a rule already chose words for the writer (a friend's farewell): a
        farewell the classifier read in a teacher's message is a student's, not a
        friend's."""
        adult = self._spec.for_adults.get(verdict.label) if asker in ADULTS else None  # type: ignore[call-overload]
        if adult is None or (verdict.card_is_reply and verdict.rule != "classifier"):
            return verdict
        card = adult.cards
        return Verdict(verdict.label, verdict.rule, card, adult.card_is_reply, verdict.suspected)

    def card_section(
        self,
        verdict: Verdict,
        lang: str,
        knowledge: Knowledge,
        asker: str | None = None,
        ranked: Sequence[tuple[str, str]] = (),
        nearest: Sequence[str] = (),
    ) -> tuple[str, str] | None:
        """(document, heading) of the card section a reply leads with. Given the
        search's `ranked` sections for the message: the triage card's best-ranked
        section when it is near the top, or ranked at all when a rule chose the card
        (the fire card's "smoke-filled stairs" for that scene; a child choking on a
        dumpling is not an allergy, a knife out now is not "after a threat"); else the
        best-ranked near the top (first, for a rule's card, and not a section another
        rule leads with) of a card its authors linked to the triage card (the
        after-rescue card for a drowned child not breathing, the allergy card for a bee
        sting the classifier read as choking); else a card search
        ranked first; else the triage card's best-ranked or first section, which holds
        the steps (a scene told without the card's words still needs them: search may
        miss a scene). The first section written for the asker wins, except over the
        section an emergency rule names: a parent whose child is dizzy after a stranger's
        drink needs "stop drinking, get the staff, call the police", not the card's
        section on who may collect a child. Where this says "first", it means the card's
        section `nearest` the message when given (its headings, nearest first), else the
        card's first."""
        card_id = verdict.card_for(lang)
        if not card_id:
            return None
        card = knowledge.document(card_id)
        named = self._lead.get((verdict.rule or "", card_id))
        if named and verdict.label == "emergency" and verdict.rule != "classifier":
            return card_id, card.sections[named - 1].heading
        order = [x for h in nearest for x in card.sections if x.heading == h] or list(card.sections)
        mine = next((x for x in card.sections if asker and x.audiences and x.is_for(card, asker)), None)
        if mine is None and verdict.label == "crisis":
            # a crisis card's section search ranked best ("怀疑孩子想自杀：平静地直接问"
            # for "how do I tell if my child is suicidal"), when it names both a number
            # for danger now and a crisis line; else the first, which always does
            best = next((x for d, h in ranked if d == card_id for x in card.sections if x.heading == h), None)
            if best is None or not _names_help(knowledge, best.text):
                best = next((x for x in order if _names_help(knowledge, x.text)), card.sections[0])
            return card_id, best.heading
        # a rule's card was written for its situation; the classifier's may be a near miss
        ruled = verdict.rule != "classifier"
        lead = card.sections[(named or 1) - 1]
        if mine is None and ruled and (named or (verdict.label == "emergency" and card.meta.kind != "card")):
            # a rule that names its section knows the scene better than search: the
            # witness of a beating gets the witness's steps, not the victim's; a rule
            # that names a guide for a danger now (a scald) means its lead section,
            # what to do this minute; search may rank "when to see a doctor", and
            # nearness reads "no blister" as a blister
            return card_id, lead.heading
        if mine is not None or not ranked or verdict.label not in ("emergency", "disclosure"):
            return card_id, (mine or order[0]).heading
        own = next(((d, h) for d, h in ranked if d == card_id), None)
        if own is not None and (ruled or ranked.index(own) < OWN_CARD_WITHIN):
            return own
        near = ranked[: 1 if ruled else OWN_CARD_WITHIN]
        cards = [(d, h) for d, h in near if knowledge.document(d).meta.kind == "card"]
        linked = next(
            (
                (d, h)
                for d, h in cards
                # for a rule's card, never a section another rule leads with: that is a
                # situation of its own (a boy clutching his throat over a grape is choking,
                # not the stroke that "说不出话" brought first)
                if knowledge.related(card_id, d) and not (ruled and self.led_by_another(verdict, d, h, knowledge))
            ),
            None,
        )
        if linked is not None:
            return linked
        # only a card for the same kind of danger stands in for the classifier's card; a
        # rule's card was written for its scene (a hair dryer in the bath is a shock to
        # cut the power for, whatever drowning card the word 水 brought first)
        if not ruled and cards[:1] == ranked[:1] and own is None and ranked[0][0] in self._label_cards[verdict.label]:
            return ranked[0]
        # unranked, a rule's card leads with its lead section: nearness read "a kid
        # collapsed and isn't breathing" as the bleeding section
        return own or (card_id, (lead if ruled else order[0]).heading)

    def led_by_another(self, verdict: Verdict, doc_id: str, heading: str, knowledge: Knowledge) -> bool:
        """Whether another rule names this section as the one it leads with."""
        return any(
            rule != verdict.rule and card == doc_id and knowledge.document(card).sections[n - 1].heading == heading
            for (rule, card), n in self._lead.items()
            if n
        )

    def reply(
        self,
        verdict: Verdict,
        lang: str,
        knowledge: Knowledge,
        asker: str | None = None,
        ranked: Sequence[tuple[str, str]] = (),
        nearest: Sequence[str] = (),
    ) -> Lead:
        """The card that leads the answer: the label's fixed words, then the first
        steps from the matching "what to do now" card. A section written only for
        adults stands alone: the fixed words speak to the child."""
        if verdict.label == "none":
            return Lead(None, None)
        shown = self.card_section(verdict, lang, knowledge, asker, ranked, nearest)
        steps = None
        alone = verdict.card_is_reply
        if shown:
            card = knowledge.document(shown[0])
            first = next(x for x in card.sections if x.heading == shown[1])
            steps = f"{first.heading}\n" + "\n".join(f"• {p}" for p in key_points(first.text, limit=10))
            for_adults = bool(first.audiences and "student" not in first.audiences)
            alone = alone or for_adults
            if verdict.label == "disclosure" and asker in ADULTS and not for_adults:
                return Lead(None, None)  # these words speak to the victim; the adult gets the guidance
        # a danger now is never answered without the numbers to call in the message
        numbered = steps is not None and any(h.number in steps for h in knowledge.hotlines.values())
        if alone and steps and verdict.label != "check" and (numbered or verdict.label != "emergency"):
            return Lead(steps, shown)
        words = self._spec.replies[verdict.label]  # type: ignore[index]
        parts = [knowledge.hotlines.render(words.zh if lang == "zh" else words.en).strip()]
        if steps and verdict.label not in ("crisis", "check"):
            parts.append(steps)
            return Lead("\n\n".join(parts), shown)
        return Lead(parts[0], None)
