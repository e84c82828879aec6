"""Safety triage runs before any search: a message about suicide, a danger happening now
or a child disclosing harm gets a fixed, reviewed reply that cannot depend on retrieval
working. Rules live in knowledge/triage.yaml so reviewers can read and change them.

Matching is two steps: spans that only look alarming (exaggeration, game slang,
questions about prevention) are blanked out first, then the rules are tried in order of
severity. Only the verdict is ever logged, never the message."""

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from bot.answer import key_points
from index.errors import KnowledgeError
from index.hotlines import Hotlines
from index.knowledge import Knowledge
from index.models import Localized, Strict
from index.text import normalize

logger = logging.getLogger(__name__)

Label = Literal["crisis", "emergency", "disclosure"]
SEVERITY: tuple[Label, ...] = ("crisis", "emergency", "disclosure")


class Rule(Strict):
    id: str
    label: Label
    cards: dict[str, str] = Field(default_factory=dict)
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


class TriageFile(Strict):
    replies: dict[Label, Localized]
    ignore: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)


@dataclass(frozen=True)
class Verdict:
    label: str  # "none" or a Label
    rule: str | None = None
    card: dict[str, str] | None = None

    @property
    def urgent(self) -> bool:
        return self.label in ("crisis", "emergency")


NONE = Verdict("none")


class Triager:
    def __init__(self, spec: TriageFile) -> None:
        self._spec = spec
        self._ignore = [re.compile(p, re.IGNORECASE) for p in spec.ignore]
        order = {label: i for i, label in enumerate(SEVERITY)}
        self._rules = sorted(spec.rules, key=lambda r: order[r.label])
        self._compiled = {r.id: [re.compile(p, re.IGNORECASE) for p in r.patterns] for r in self._rules}
        self._unless = {r.id: [re.compile(p, re.IGNORECASE) for p in r.unless] for r in self._rules}

    @classmethod
    def from_knowledge(cls, knowledge: Knowledge) -> "Triager":
        path = knowledge.root / "triage.yaml"
        return cls(load_triage_file(path, knowledge))

    def classify(self, message: str) -> Verdict:
        text = normalize(message).lower()
        for pattern in self._ignore:
            text = pattern.sub(" ", text)
        for rule in self._rules:
            if any(p.search(text) for p in self._compiled[rule.id]) and not any(
                p.search(text) for p in self._unless[rule.id]
            ):
                logger.info("triage: %s", rule.label)
                return Verdict(rule.label, rule.id, rule.cards or None)
        return NONE

    def reply(self, verdict: Verdict, lang: str, knowledge: Knowledge) -> str | None:
        """The card that leads the answer: the label's fixed words, then the first
        steps from the matching "what to do now" card."""
        if verdict.label == "none":
            return None
        words = self._spec.replies[verdict.label]  # type: ignore[index]
        parts = [knowledge.hotlines.render(words.zh if lang == "zh" else words.en).strip()]
        card_id = (verdict.card or {}).get(lang) or (verdict.card or {}).get("zh")
        if card_id and verdict.label != "crisis":
            card = knowledge.document(card_id)
            first = card.sections[0]
            parts.append(f"{first.heading}\n" + "\n".join(f"• {p}" for p in key_points(first.text)))
        return "\n\n".join(parts)


def load_triage_file(path: Path, knowledge: Knowledge) -> TriageFile:
    """Parse and cross-check triage.yaml; every problem is a KnowledgeError naming
    the file and line."""
    try:
        raw = path.read_text(encoding="utf-8")
        data = yaml.safe_load(raw)
    except OSError as exc:
        raise KnowledgeError(f"{path}:1: cannot read triage rules ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        raise KnowledgeError(f"{path}:{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from exc
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


def check_hotlines_used(spec: TriageFile, hotlines: Hotlines) -> list[str]:
    """Which hotline keys the replies mention, for tests that pin the crisis number."""
    return sorted({k for w in spec.replies.values() for k in re.findall(r"hotline:(\w+)", w.zh + w.en)})
