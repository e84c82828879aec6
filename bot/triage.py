"""Safety triage runs before any search: a message about suicide, a danger happening now
or a child disclosing harm gets a fixed, reviewed reply that cannot depend on retrieval
working. Rules live in knowledge/triage.yaml so reviewers can read and change them.

Matching is two steps: spans that only look alarming (exaggeration, game slang,
questions about prevention) are blanked out first, then the rules are tried in order of
severity. Only the verdict is ever logged, never the message."""

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError, field_validator

from bot.answer import key_points
from index.cache import EmbeddingCache
from index.embedders import Embedder
from index.errors import KnowledgeError
from index.knowledge import Knowledge, yaml_problem
from index.models import Localized, Strict
from index.text import normalize

logger = logging.getLogger(__name__)

Label = Literal["crisis", "emergency", "disclosure"]
SEVERITY: tuple[Label, ...] = ("crisis", "emergency", "disclosure")


class Rule(Strict):
    id: str
    label: Label
    cards: dict[str, str] = Field(default_factory=dict)
    # the card's first section is the whole reply (a card written for the adult or the
    # friend who writes, in place of the words addressed to the person at risk)
    card_is_reply: bool = False
    patterns: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)

    @field_validator("patterns", "unless")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad pattern {pattern!r}: {exc}") from exc
        return patterns


class Semantic(Strict):
    min_similarity: float = Field(gt=0, le=1)
    min_margin: float = Field(ge=0, le=1)


class Examples(Strict):
    crisis: list[str] = Field(min_length=1)
    none: list[str] = Field(min_length=1)


class TriageFile(Strict):
    replies: dict[Label, Localized]
    ignore: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)
    semantic: Semantic | None = None
    examples: Examples | None = None


@dataclass(frozen=True)
class Verdict:
    label: str  # "none" or a Label
    rule: str | None = None
    card: dict[str, str] | None = None
    card_is_reply: bool = False

    @property
    def urgent(self) -> bool:
        return self.label in ("crisis", "emergency")


NONE = Verdict("none")


class Triager:
    def __init__(self, spec: TriageFile, examples: dict[str, np.ndarray] | None = None) -> None:
        """`examples` are the embedded example phrasings by label ('crisis', 'none');
        without them only the rules run."""
        self._spec = spec
        self._examples = examples
        self._ignore = [re.compile(p, re.IGNORECASE) for p in spec.ignore]
        order = {label: i for i, label in enumerate(SEVERITY)}
        self._rules = sorted(spec.rules, key=lambda r: order[r.label])
        self._compiled = {r.id: [re.compile(p, re.IGNORECASE) for p in r.patterns] for r in self._rules}
        self._unless = {r.id: [re.compile(p, re.IGNORECASE) for p in r.unless] for r in self._rules}

    @classmethod
    def from_knowledge(
        cls, knowledge: Knowledge, embedder: Embedder | None = None, cache: EmbeddingCache | None = None
    ) -> "Triager":
        """With an `embedder`, the example phrasings are embedded (through `cache`,
        so only once per embedder) and semantic matching is on."""
        spec = load_triage_file(knowledge.root / "triage.yaml", knowledge)
        if embedder is None or spec.examples is None:
            return cls(spec)
        examples = {
            label: _embed_messages(phrases, embedder, cache)
            for label, phrases in (("crisis", spec.examples.crisis), ("none", spec.examples.none))
        }
        return cls(spec, examples)

    def classify(self, message: str, vector: np.ndarray | None = None) -> Verdict:
        """Rules first; then, if the message's embedding is given, its nearness to the
        crisis example phrasings. A failure of the semantic step never hides a rule."""
        verdict = self._by_rules(message)
        if verdict.label == "none" and vector is not None and self._semantic_crisis(vector):
            crisis = next(r for r in self._rules if r.label == "crisis")
            logger.info("triage: crisis (semantic)")
            return Verdict("crisis", "semantic", crisis.cards or None)
        return verdict

    def _semantic_crisis(self, vector: np.ndarray) -> bool:
        settings = self._spec.semantic
        if settings is None or not self._examples:
            return False
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        crisis = float((self._examples["crisis"] @ query).max())
        lookalike = float((self._examples["none"] @ query).max())
        return crisis >= settings.min_similarity and crisis - lookalike >= settings.min_margin

    def _by_rules(self, message: str) -> Verdict:
        text = normalize(message).lower()
        for pattern in self._ignore:
            text = pattern.sub(" ", text)
        for rule in self._rules:
            if any(p.search(text) for p in self._compiled[rule.id]) and not any(
                p.search(text) for p in self._unless[rule.id]
            ):
                logger.info("triage: %s", rule.label)
                return Verdict(rule.label, rule.id, rule.cards or None, rule.card_is_reply)
        return NONE

    def reply(self, verdict: Verdict, lang: str, knowledge: Knowledge) -> str | None:
        """The card that leads the answer: the label's fixed words, then the first
        steps from the matching "what to do now" card."""
        if verdict.label == "none":
            return None
        card_id = (verdict.card or {}).get(lang) or (verdict.card or {}).get("zh")
        steps = None
        if card_id:
            card = knowledge.document(card_id)
            # the first real section holds the steps; an introduction carries the title
            first = next((x for x in card.sections if x.heading != card.meta.title), card.sections[0])
            steps = f"{first.heading}\n" + "\n".join(f"• {p}" for p in key_points(first.text, limit=10))
        if verdict.card_is_reply and steps:
            return steps
        words = self._spec.replies[verdict.label]  # type: ignore[index]
        parts = [knowledge.hotlines.render(words.zh if lang == "zh" else words.en).strip()]
        if steps and verdict.label != "crisis":
            parts.append(steps)
        return "\n\n".join(parts)


def _embed_messages(messages: list[str], embedder: Embedder, cache: EmbeddingCache | None) -> np.ndarray:
    """Messages are embedded as queries, like the messages they are compared with."""
    texts = [normalize(m) for m in messages]
    keys = [hashlib.sha256(f"query\0{t}".encode()).hexdigest() for t in texts]
    known = cache.get_many(embedder.id, keys, embedder.dim) if cache else {}
    missing = [i for i, k in enumerate(keys) if k not in known]
    if missing:
        fresh = embedder.encode_queries([texts[i] for i in missing])
        new = {keys[i]: fresh[row] for row, i in enumerate(missing)}
        if cache:
            cache.put_many(embedder.id, new)
        known.update(new)
    return np.vstack([known[k] for k in keys])


def load_triage_file(path: Path, knowledge: Knowledge) -> TriageFile:
    """Parse and cross-check triage.yaml; every problem is a KnowledgeError naming
    the file and line."""
    try:
        raw = path.read_text(encoding="utf-8")
        data = yaml.safe_load(raw)
    except OSError as exc:
        raise KnowledgeError(f"{path}:1: cannot read triage rules ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(str(yaml_problem(path, exc))) from exc
    try:
        spec = TriageFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise KnowledgeError(f"{path}:1: {where}: {err['msg']}") from exc
    ids = {d.meta.id for d in knowledge.documents}
    for rule in spec.rules:
        for card in rule.cards.values():
            if card not in ids:
                line = next((n for n, t in enumerate(raw.splitlines(), 1) if card in t), 1)
                raise KnowledgeError(f"{path}:{line}: rule '{rule.id}' names unknown card '{card}'")
    for label, words in spec.replies.items():
        for value in (words.zh, words.en):
            unknown = knowledge.hotlines.unknown_references(value)
            if unknown:
                raise KnowledgeError(f"{path}:1: reply '{label}' names unknown hotline '{unknown[0]}'")
    return spec
