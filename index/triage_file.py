"""The schema of knowledge/triage.yaml (rules, fixed replies, the classifier's thresholds
and the cards for each situation), read and cross-checked against the documents and the
hotlines. The matching itself is bot/engine/triage.py."""

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator

from index.errors import KnowledgeError
from index.knowledge import Knowledge, parse_yaml, yaml_problem
from index.models import Localized, Strict

Label = Literal["crisis", "emergency", "disclosure"]


class Rule(Strict):
    id: str
    label: Label
    cards: dict[str, str] = Field(default_factory=dict)
    # the card's first section is the whole reply (a card written for the adult or the
    # friend who writes, in place of the words addressed to the person at risk)
    card_is_reply: bool = False
    # which of the card's sections leads, counted from 1 (a collapse in the heat needs
    # the heat guide's "heatstroke: call an ambulance", not its first, "feeling dizzy");
    # unset, search and nearness choose among a card's sections, and a guide leads with
    # its first
    lead: int | None = Field(default=None, ge=1)
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


class Classifier(Strict):
    urgent_at: float = Field(gt=0, lt=1)
    check_at: float = Field(gt=0, lt=1)
    skip: list[str] = Field(default_factory=list)
    # A question asked in general ("…安全吗", "…能骑电动车吗"): answered without the
    # check-in; a sure classifier and every rule still raise the full alarm.
    general: list[str] = Field(default_factory=list)

    @field_validator("skip", "general")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return Rule._compiles(patterns)


class Situation(Strict):
    zh: str
    en: str | None = None
    card_is_reply: bool = False
    # A situation told either by the one at risk or by someone who saw it (a farewell):
    # `others` are the patterns of someone else doing it ("朋友发了…", "my friend posted");
    # a message with none of them is the writer's own, and takes the `otherwise` situation.
    others: list[str] = Field(default_factory=list)
    otherwise: str | None = None

    @property
    def cards(self) -> dict[str, str]:
        """The card's document by language, for the languages it has one in."""
        return {lang: doc for lang, doc in (("zh", self.zh), ("en", self.en)) if doc}

    @field_validator("others")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return Rule._compiles(patterns)


class TriageFile(Strict):
    replies: dict[Literal["crisis", "emergency", "disclosure", "check"], Localized]
    # the card for a parent or teacher asking about a child, by label (a crisis card
    # speaks to the child in crisis; the adult needs "stay with them, remove means")
    for_adults: dict[Literal["crisis", "emergency", "disclosure"], Situation] = Field(default_factory=dict)
    ignore: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(min_length=1)
    classifier: Classifier | None = None
    situations: dict[str, Situation] = Field(default_factory=dict)


def load_triage_file(path: Path, knowledge: Knowledge) -> TriageFile:
    """Parse and cross-check triage.yaml; every problem is a KnowledgeError naming
    the file and line."""
    try:
        raw = path.read_text(encoding="utf-8")
        data = parse_yaml(raw)
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
            if rule.lead and rule.lead > len(knowledge.document(card).sections):
                line = next((n for n, t in enumerate(raw.splitlines(), 1) if f"id: {rule.id}" in t), 1)
                raise KnowledgeError(
                    f"{path}:{line}: rule '{rule.id}' leads with section {rule.lead}; '{card}' has fewer"
                )
    for name, situation in [*spec.situations.items(), *((f"for_adults.{k}", v) for k, v in spec.for_adults.items())]:
        for named in (situation.zh, situation.en):
            if named and named not in ids:
                line = next((n for n, t in enumerate(raw.splitlines(), 1) if named in t), 1)
                raise KnowledgeError(f"{path}:{line}: situation '{name}' names unknown card '{named}'")
    for name, situation in spec.situations.items():
        if bool(situation.others) != bool(situation.otherwise) or (
            situation.otherwise and situation.otherwise not in spec.situations
        ):
            line = next((n for n, t in enumerate(raw.splitlines(), 1) if t.strip().startswith(f"{name}:")), 1)
            raise KnowledgeError(
                f"{path}:{line}: situation '{name}' needs both 'others' and an 'otherwise' naming a known situation"
            )
    missing = {"crisis", "emergency", "disclosure", "check"} - set(spec.replies)
    if missing:
        raise KnowledgeError(f"{path}:1: replies: missing {', '.join(sorted(missing))}")
    for label, words in spec.replies.items():
        for value in (words.zh, words.en):
            unknown = knowledge.hotlines.unknown_references(value)
            if unknown:
                raise KnowledgeError(f"{path}:1: reply '{label}' names unknown hotline '{unknown[0]}'")
    return spec
