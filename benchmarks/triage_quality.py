"""Triage quality: rules alone, and rules with the learned classifier, on grid cells the
classifier never saw (grouped cross-validation over knowledge/triage/) and on the frozen
test file (tests/eval/triage_frozen.yaml, written by another method and never trained
on). Prints recall per label, false alarms per look-alike category, how many messages
land in each tier, what the character n-grams add, and what triage costs per message.

    python benchmarks/triage_quality.py
"""

import collections
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.triage import Triager  # noqa: E402
from bot.settings import REPO_KNOWLEDGE, Settings  # noqa: E402
from index.build import _embed  # noqa: E402
from index.embedders import get_embedder  # noqa: E402
from index.knowledge import Problem, load_knowledge  # noqa: E402
from index.text import normalize  # noqa: E402
from index.triage_file import TriageFile, load_triage_file  # noqa: E402
from index.triage_model import TriageModel, features, fit_linear, label_shares, load_examples, read  # noqa: E402

FROZEN = ROOT / "tests" / "eval" / "triage_frozen.yaml"


def tiers_of(
    rules: Triager, texts: list[str], by_rule: np.ndarray, probs: np.ndarray, classes: tuple[str, ...]
) -> np.ndarray:
    """'full' (a rule or a sure classifier), 'check' or 'none' for each message, as the bot decides."""
    out = np.full(len(texts), "none", dtype=object)
    for i, row in enumerate(probs):
        if by_rule[i]:
            out[i] = "full"
        elif not rules.is_small_talk(texts[i]):  # the bot never classifies "thanks" or "hi"
            out[i] = rules.tier(texts[i], dict(zip(classes, row, strict=True)))
    return out


def table(title: str, rows: list[tuple[str, int, dict[str, int]]]) -> None:
    print(f"\n{title}")
    print(f"{'':<28} {'n':>5} {'full':>7} {'check':>7} {'none':>7}")
    for name, n, counts in rows:
        cells = " ".join(f"{counts.get(t, 0) / n:>7.1%}" for t in ("full", "check", "none"))
        print(f"{name:<28} {n:>5} {cells}")


def summarise(name: str, labels: list[str], groups: list[str], tier: np.ndarray) -> None:
    rows = []
    for label in ("crisis", "emergency", "disclosure"):
        idx = [i for i, lab in enumerate(labels) if lab == label]
        rows.append((label, len(idx), collections.Counter(tier[idx])))
    urgent = [i for i, lab in enumerate(labels) if lab != "none"]
    rows.append(("all urgent", len(urgent), collections.Counter(tier[urgent])))
    look = [i for i, lab in enumerate(labels) if lab == "none"]
    for category in sorted({groups[i] for i in look}):
        idx = [i for i in look if groups[i] == category]
        rows.append((f"look-alike: {category}", len(idx), collections.Counter(tier[idx])))
    rows.append(("all look-alikes", len(look), collections.Counter(tier[look])))
    table(name, rows)


def sweep(spec: TriageFile, examples: list, by_rule: np.ndarray, probs: np.ndarray, classes: tuple[str, ...]) -> None:
    """The full-alarm threshold (`urgent_at` in triage.yaml) against the held-out folds'
    probabilities: urgent messages below it get the check-in, look-alikes above it a
    full false alarm."""
    assert spec.classifier is not None
    print("\nurgent_at sweep (grouped cross-validation, rules + classifier with n-grams)")
    print(f"{'urgent_at':>9} {'urgent full':>12} {'check':>7} {'none':>7} {'look-alike full':>16} {'check':>7}")
    texts = [e.text for e in examples]
    urgent = np.array([e.label != "none" for e in examples])
    for at in (0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95):
        changed = spec.model_copy(update={"classifier": spec.classifier.model_copy(update={"urgent_at": at})})
        tier = tiers_of(Triager(changed), texts, by_rule, probs, classes)
        u = collections.Counter(tier[urgent])
        lo = collections.Counter(tier[~urgent])
        n_u, n_l = int(urgent.sum()), int((~urgent).sum())
        print(
            f"{at:>9.2f} {u['full'] / n_u:>12.1%} {u['check'] / n_u:>7.1%} {u['none'] / n_u:>7.1%} "
            f"{lo['full'] / n_l:>16.1%} {lo['check'] / n_l:>7.1%}"
        )


def main() -> None:
    from sklearn.model_selection import GroupKFold

    knowledge = load_knowledge(REPO_KNOWLEDGE)
    spec = load_triage_file(REPO_KNOWLEDGE / "triage.yaml", knowledge)
    assert spec.classifier is not None
    problems: list[Problem] = []
    examples = load_examples(REPO_KNOWLEDGE, problems)
    embedder = get_embedder("e5-small-int4")
    frozen = yaml.safe_load(FROZEN.read_text(encoding="utf-8"))
    # the index build's embedding cache: the examples are embedded there already
    cache = Settings.from_env().data_dir / "cache" / "embeddings.sqlite"
    vectors = _embed([normalize(e.text) for e in examples], embedder, cache, False, False, query=True)
    frozen_vectors = _embed([normalize(c["text"]) for c in frozen], embedder, cache, False, False, query=True)

    rules = Triager(spec)
    by_rule = np.array([rules.classify(e.text).label != "none" for e in examples])
    labels = [e.label for e in examples]
    groups = [e.cell.split("|")[0] for e in examples]
    y = np.array(labels)
    cells = [e.cell for e in examples]
    print(f"{len(examples)} training examples; {len(frozen)} frozen test messages")
    for name, with_ngrams in (("e5 vectors only", False), ("e5 vectors + char n-grams", True)):
        x = features(vectors, [e.text for e in examples])
        if not with_ngrams:
            x = x[:, : vectors.shape[1]]
        found = np.full(len(examples), "none", dtype=object)
        held_out = np.zeros((len(examples), 4))
        exact = 0
        for train, test in GroupKFold(n_splits=5).split(x, y, cells):
            model = fit_linear(x[train], list(y[train]))
            texts = [examples[i].text for i in test]
            probs = model.proba(x[test])
            held_out[test] = probs
            classes = model.classes
            found[test] = tiers_of(rules, texts, by_rule[test], probs, model.classes)
            urgent = [i for i in train if labels[i] != "none"]
            situations = fit_linear(x[urgent], [examples[i].situation for i in urgent])
            shares = label_shares([examples[i] for i in train], situations.classes)
            for row, i in enumerate(test):
                if labels[i] != "none" and not by_rule[i]:
                    reading = read(probs[row], model.classes, situations.proba(x[i])[0], situations.classes, shares)
                    exact += reading.label == labels[i]
        summarise(f"grouped 5-fold cross-validation, {name}", labels, groups, found)
        learned = int(sum(lab != "none" for lab in labels) - by_rule[y != "none"].sum())
        print(f"urgent messages no rule caught, given exactly their label by the classifier: {exact}/{learned}")
    sweep(spec, examples, by_rule, held_out, classes)
    summarise("rules alone (cross-validation set)", labels, groups, np.where(by_rule, "full", "none"))

    start = time.perf_counter()
    model = TriageModel.train(examples, vectors)
    train_s = time.perf_counter() - start
    triager = Triager(spec, model)
    frozen_labels = [c["expect"] for c in frozen]
    frozen_groups = [c.get("situation", "?") for c in frozen]
    verdicts = []
    start = time.perf_counter()
    for case, vector in zip(frozen, frozen_vectors, strict=True):
        verdicts.append(triager.classify(case["text"], vector).label)
    per_message_ms = (time.perf_counter() - start) * 1000 / len(frozen)
    found = np.array(["none" if v == "none" else "check" if v == "check" else "full" for v in verdicts], dtype=object)
    summarise("frozen test file (rules + classifier, trained on everything)", frozen_labels, frozen_groups, found)
    right = sum(v == e for v, e in zip(verdicts, frozen_labels, strict=True) if e != "none")
    urgent_n = sum(e != "none" for e in frozen_labels)
    print(f"\nfrozen: urgent messages given exactly their label at the full tier: {right}/{urgent_n}")
    print(
        f"training at build: {train_s:.1f} s; triage per message (embedding already computed): {per_message_ms:.2f} ms"
    )


if __name__ == "__main__":
    main()
