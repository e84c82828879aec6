"""The learned triage step: the example files are checked like other knowledge, the
tiers (full verdict, check-in, none) follow the thresholds in triage.yaml, a check-in
is answered by a button without the message being kept, and on the shipped data the
classifier keeps its recall on grid cells it never saw and on the frozen test file."""

from pathlib import Path

import numpy as np
import pytest
import yaml

from bot.engine.answering.assistant import Assistant
from bot.engine.router import Dialogue, Incoming
from bot.engine.triage import Triager
from bot.settings import REPO_KNOWLEDGE
from bot.store import open_store
from index.build import _embed
from index.knowledge import Problem, load_knowledge
from index.text import normalize
from index.triage_file import load_triage_file
from index.triage_model import (
    LABELS,
    URGENT,
    Reading,
    TriageModel,
    features,
    fit_linear,
    load_examples,
    ngrams,
    read,
)

KNOWLEDGE = load_knowledge(REPO_KNOWLEDGE)
SPEC = load_triage_file(REPO_KNOWLEDGE / "triage.yaml", KNOWLEDGE)
FROZEN = Path(__file__).resolve().parent / "eval" / "triage_frozen.yaml"


class FixedModel:
    """Stands in for the trained model: says what the test needs."""

    def __init__(self, urgent: float, label: str = "emergency", situation: str = "drowning") -> None:
        self.urgent, self.label, self.situation = urgent, label, situation

    def situations_of(self, label: str) -> tuple[str, ...]:
        return (self.situation,) if label == self.label else ()

    def predict(self, vector: np.ndarray, text: str) -> Reading:
        probs = np.array([1 - self.urgent if lab == "none" else self.urgent * (lab == self.label) for lab in LABELS])
        shares = np.array([[float(lab == self.label) for lab in URGENT]])
        return read(probs, LABELS, np.array([1.0]), (self.situation,), shares)


def test_the_urgent_label_is_where_label_and_situation_agree() -> None:
    """Fitted with balanced classes, the label model leans to the rarer crisis label; a
    message the situation model reads as a stranger grabbing a child is an emergency,
    and the card is that situation's, not the suicide card."""
    probs = np.array([0.05, 0.6, 0.25, 0.1])  # none, crisis, emergency, disclosure
    situations = ("stranger", "suicide", "bullying")
    shares = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # by URGENT: crisis, emergency, disclosure
    reading = read(probs, LABELS, np.array([0.85, 0.1, 0.05]), situations, shares)
    assert reading.label == "emergency"
    assert reading.situation_for("emergency") == "stranger"
    assert reading.situation_for("crisis") == "suicide"


def test_shipped_examples_load_cleanly_and_cover_the_grid() -> None:
    problems: list[Problem] = []
    examples = load_examples(REPO_KNOWLEDGE, problems)
    assert problems == []
    labels = [e.label for e in examples]
    assert labels.count("none") >= 800 and len(labels) - labels.count("none") >= 800
    assert set(SPEC.situations) <= {e.situation for e in examples if e.label != "none"}


def test_a_broken_example_file_is_reported_with_its_file(run_cli, knowledge_copy: Path, monkeypatch) -> None:
    (knowledge_copy / "triage" / "urgent" / "broken.yaml").write_text(
        "label: emergency\nsituation: fire\nmessages:\n  - {text: 着火了, writer: neighbour, style: direct}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SAFEBOT_KNOWLEDGE_DIR", str(knowledge_copy))
    result = run_cli("kb", "check")
    assert result.code == 2
    assert "broken.yaml:4: writer 'neighbour'" in result.out


def test_hashed_ngrams_are_scikit_learns_on_every_example() -> None:
    """The n-grams are hashed without importing scikit-learn at query time; the model
    was fitted on them, so they must be exactly HashingVectorizer's, on every shipped
    example and on edge cases (one-letter words, runs of white space, no words)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    reference = HashingVectorizer(analyzer="char_wb", ngram_range=(1, 3), n_features=2**16, alternate_sign=False)
    texts = [normalize(e.text) for e in load_examples(REPO_KNOWLEDGE, [])]
    texts += ["a", "I  x\t\ty", "", "   ", "救命", "Ünïcode Straße 😀 ok"]
    ours, theirs = ngrams(texts), reference.transform(texts)
    assert ours.shape == theirs.shape
    assert abs(ours - theirs).max() < 1e-12


@pytest.mark.parametrize(
    ("urgent", "expected"),
    [(0.95, "emergency"), (0.4, "check"), (0.05, "none")],
)
def test_tiers_follow_the_thresholds(urgent: float, expected: str) -> None:
    assert SPEC.classifier is not None and SPEC.classifier.check_at < 0.4 < SPEC.classifier.urgent_at
    triager = Triager(SPEC, FixedModel(urgent))
    verdict = triager.classify("池塘那边好像有点不对劲", np.zeros(384, np.float32))
    assert verdict.label == expected
    if expected != "none":
        assert verdict.card == {"zh": "card-drowning-rescue-zh", "en": "card-drowning-en"}
    if expected == "check":
        assert verdict.suspected == "emergency"
        reply = triager.reply(verdict, "zh", KNOWLEDGE).text
        assert reply is not None and "110" in reply and "120" in reply and "现在有人正处在危险中吗" in reply


def test_rules_stay_a_floor_and_small_talk_skips_the_classifier() -> None:
    never = Triager(SPEC, FixedModel(0.0))
    assert never.classify("我不想活了", np.zeros(384, np.float32)).label == "crisis"
    always = Triager(SPEC, FixedModel(0.99))
    assert always.classify("谢谢！", np.zeros(384, np.float32)).label == "none"
    assert always.classify("thank you", np.zeros(384, np.float32)).label == "none"
    assert always.classify("thanks, that was really helpful!", np.zeros(384, np.float32)).label == "none"
    # thanks and "I'll think about it" close a conversation (after a crisis reply, the
    # classifier read "谢谢 我再想想" as another crisis)
    assert always.classify("谢谢 我再想想", np.zeros(384, np.float32)).label == "none"
    assert always.classify("ok thanks, i'll think about it", np.zeros(384, np.float32)).label == "none"
    # thanks that go on to a worry are no small talk
    assert always.classify("thanks but my son is still missing", np.zeros(384, np.float32)).label != "none"
    assert always.classify("我再想想要不要活下去", np.zeros(384, np.float32)).label != "none"


@pytest.fixture
def checking(real_index, tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    assistant = Assistant(KNOWLEDGE, real_index, Triager(SPEC, FixedModel(0.4)))
    yield Dialogue(assistant, store), assistant
    store.close()


def test_a_check_in_asks_first_answers_below_and_yes_gives_the_card(checking) -> None:
    dialogue, assistant = checking
    question = "孩子在河边玩水，我有点担心"
    row = assistant.answer(question).to_json()
    assert row["triage"] == "check"
    [ask] = dialogue.handle(Incoming(1, question))
    assert ask.text.startswith("先问一句：现在有人正处在危险中吗？") and "110" in ask.text
    assert "来源：" in ask.text, "the answer follows the check-in, no extra tap needed"
    yes = ask.buttons[0][0].data
    assert yes.startswith("chk:y:emergency:card-drowning-rescue-zh") and len(yes.encode()) <= 64
    [urgent] = dialogue.handle(Incoming(1, button=yes))
    assert urgent.text.startswith("⚠️") and "110" in urgent.text
    assert any(b.data == "doc:card-drowning-rescue-zh" for row in urgent.buttons for b in row)


def test_a_check_in_is_never_followed_by_out_of_scope(checking) -> None:
    """Someone may be in danger: after the check-in, a message nothing answers gets the
    hotlines and "not sure", never "that is outside what I can help with"."""
    _, assistant = checking
    answer = assistant.answer("红烧肉怎么做才好吃")
    assert answer.verdict.label == "check" and answer.result.margin < 0
    assert "不在我能回答的范围" not in answer.reply and "12356" in answer.reply


@pytest.mark.slow
def test_recall_on_unseen_grid_cells_and_on_the_frozen_file(real_data_dir: Path) -> None:
    """Grouped cross-validation: a grid cell (situation x writer) is never in training
    and test at once. Urgent messages must reach the full verdict or the check-in."""
    from sklearn.model_selection import GroupKFold

    problems: list[Problem] = []
    examples = load_examples(REPO_KNOWLEDGE, problems)
    cache = real_data_dir / "cache" / "embeddings.sqlite"
    from index.embedders import get_embedder

    embedder = get_embedder("e5-small-int4")
    vectors = _embed([normalize(e.text) for e in examples], embedder, cache, False, False, query=True)
    x = features(vectors, [e.text for e in examples])
    y = np.array([e.label for e in examples])
    groups = [e.cell for e in examples]
    assert SPEC.classifier is not None
    rules = Triager(SPEC)
    tiers = np.full(len(examples), "none", dtype=object)
    for train, test in GroupKFold(n_splits=5).split(x, y, groups):
        model = fit_linear(x[train], list(y[train]))
        probs = model.proba(x[test])
        for row, i in enumerate(test):
            tiers[i] = rules.tier(examples[i].text, dict(zip(model.classes, probs[row], strict=True)))
    by_rule = np.array([rules.classify(e.text).label != "none" for e in examples])
    tiers[by_rule] = "full"
    urgent = y != "none"
    assert (tiers[urgent] != "none").mean() >= 0.99, "urgent messages reach the verdict or the check-in"
    assert (tiers[~urgent] == "full").mean() <= 0.20, "full alarms on look-alikes (target 0.05; docs/decisions.md)"

    frozen = yaml.safe_load(FROZEN.read_text(encoding="utf-8"))
    trained = TriageModel.train(examples, vectors)
    triager = Triager(SPEC, trained)
    texts = [c["text"] for c in frozen]
    frozen_vectors = embedder.encode_queries([normalize(t) for t in texts])
    verdicts = [triager.classify(t, v).label for t, v in zip(texts, frozen_vectors, strict=True)]
    urgent_f = [c["expect"] != "none" for c in frozen]
    recall = np.mean([v != "none" for v, u in zip(verdicts, urgent_f, strict=True) if u])
    assert recall >= 0.98
