"""The learned step of safety triage: a classifier over the index embedder's vectors and
character n-grams, trained from the reviewed example messages in knowledge/triage/ when
the index is built. Reviewers change what it does by editing those files, not code.

Two linear models are stored as plain arrays (no pickles): one gives the probability of
each label (none, crisis, emergency, disclosure), one the situation of an urgent message
(drowning, fire, ...), which picks the card. Which urgent label a message gets is where
the two agree: the label model alone, fitted with balanced classes, leans to the rarer
crisis label (a stranger grabbing a schoolbag got the suicide-line reply), while every
situation but one belongs to a single label in the examples. Prediction is a few dot
products, so triage adds well under a millisecond to a question whose embedding is
already computed."""

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

import mmh3
import numpy as np
import yaml
from pydantic import Field, ValidationError
from scipy import sparse

from index.errors import IndexMismatchError
from index.knowledge import Problem, parse_yaml, yaml_problem
from index.models import Strict
from index.text import normalize

TRIAGE_DIR = "triage"
MODEL_FILE = "triage.npz"
LABELS = ("none", "crisis", "emergency", "disclosure")
WRITERS = ("child", "friend", "witness", "parent", "teacher")
STYLES = (
    "direct", "scene", "euphemism", "farewell", "plan", "short", "rambling", "typo", "pinyin", "traditional", "english",
)  # fmt: skip
_NGRAMS = 2**16  # 2**18 trains 3x slower for the same recall (benchmarks/triage_quality.py)
_NGRAM_WEIGHT = 0.5  # char n-grams help most on short and misspelled messages (benchmarks/triage_quality.py)
_C = 16.0
# Only the n-grams that tell the labels apart (chi-squared, on the training data alone) go
# into the fit: the same recall and false alarms in grouped cross-validation as all 2**16,
# at a fifth of the training time (benchmarks/triage_quality.py, docs/decisions.md).
_KEEP_NGRAMS = 2000


class Message(Strict):
    text: str = Field(min_length=1)
    writer: str
    style: str
    label: str | None = None


class ExampleFile(Strict):
    label: str
    situation: str | None = None
    category: str | None = None
    messages: list[Message] = Field(min_length=1)


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    situation: str  # for look-alikes, their category
    writer: str
    style: str
    path: Path

    @property
    def cell(self) -> str:
        """The grid cell: cross-validation never trains and tests on one cell at once."""
        return f"{self.situation}|{self.writer}"


def load_examples(root: Path, problems: list[Problem]) -> list[Example]:
    """Every example message under knowledge/triage/, checked; problems name the file."""
    examples: list[Example] = []
    for path in sorted((root / TRIAGE_DIR).rglob("*.yaml")):
        try:
            data = parse_yaml(path.read_text(encoding="utf-8"))
            spec = ExampleFile.model_validate(data)
        except yaml.YAMLError as exc:
            problems.append(yaml_problem(path, exc))
            continue
        except ValidationError as exc:
            err = exc.errors()[0]
            problems.append(Problem(path, 1, f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"))
            continue
        group = spec.situation or spec.category
        if not group or (spec.situation and spec.category):
            problems.append(Problem(path, 1, "give exactly one of 'situation' (urgent) or 'category' (look-alike)"))
            continue
        for message in spec.messages:
            label = message.label or spec.label
            bad = (
                f"label '{label}' is not one of {', '.join(LABELS)}" if label not in LABELS
                else f"writer '{message.writer}' is not one of {', '.join(WRITERS)}" if message.writer not in WRITERS
                else f"style '{message.style}' is not one of {', '.join(STYLES)}" if message.style not in STYLES
                else None
            )  # fmt: skip
            if bad:
                problems.append(Problem(path, _line_of(path, message.text), bad))
                continue
            examples.append(Example(message.text, label, group, message.writer, message.style, path))
    return examples


def examples_hash(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.label}\0{e.situation}\0{e.text}\0".encode())
    return digest.hexdigest()


def _line_of(path: Path, text: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if text[:20] in line:
            return number
    return 1


def _char_wb_grams(text: str) -> list[str]:
    """scikit-learn's `char_wb` analyzer: 1–3-grams inside each white-space word padded
    with a space on each side; a word shorter than n gives one n-gram, not several."""
    grams: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(1, 4):
            grams.extend(padded[i : i + n] for i in range(max(len(padded) - n + 1, 1)))
            if len(padded) <= n:
                break
    return grams


def ngrams(texts: list[str]) -> sparse.csr_matrix:
    """Character 1–3-grams hashed as scikit-learn's HashingVectorizer(analyzer="char_wb",
    alternate_sign=False, norm="l2") hashes them (MurmurHash3, seed 0, |h| mod 2**16):
    stateless, so the same at training and at use. Done here rather than by scikit-learn
    because importing scikit-learn (and scipy.stats with it) took a second of every cold
    `safebot ask`; tests/test_triage_model.py checks the two agree on every example."""
    rows: list[int] = []
    columns: list[int] = []
    for row, text in enumerate(texts):
        hashed = [abs(mmh3.hash(gram, 0, signed=True)) % _NGRAMS for gram in _char_wb_grams(text)]
        columns.extend(hashed)
        rows.extend([row] * len(hashed))
    counts = sparse.csr_matrix(
        (np.ones(len(columns)), (rows, columns)), shape=(len(texts), _NGRAMS), dtype=np.float64
    )  # duplicates are summed: a gram seen twice counts 2
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ counts)


def features(vectors: np.ndarray, texts: list[str]) -> sparse.csr_matrix:
    """`vectors` are the query embeddings of the normalised texts (as `embed_query`)."""
    grams = ngrams([normalize(t) for t in texts]) * _NGRAM_WEIGHT
    return sparse.hstack([sparse.csr_matrix(vectors), grams]).tocsr()


@dataclass(frozen=True)
class Linear:
    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray

    @functools.cached_property
    def _weights(self) -> np.ndarray:
        """The weights as (features, classes) in C order. Multiplying by the transposed
        view, or by float32 weights from float64 features, made scipy copy the whole
        matrix for every message (4 ms of triage's 6)."""
        return np.ascontiguousarray(self.coef.T)

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(x.astype(self._weights.dtype) @ self._weights) + self.intercept
        if len(self.classes) == 2:  # scikit-learn keeps one row for two classes
            scores = np.hstack([-scores, scores])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))


def fit_linear(x: sparse.csr_matrix, y: list[str]) -> Linear:
    """Logistic regression with balanced classes over the embedding and the most telling
    n-grams; deterministic (chi-squared ranking, lbfgs, no sampling). The weights are
    spread back to every feature column (zeros for the n-grams left out), so prediction
    takes the features as they are."""
    from sklearn.feature_selection import SelectKBest, chi2
    from sklearn.linear_model import LogisticRegression

    dense = max(x.shape[1] - _NGRAMS, 0) or x.shape[1]  # the benchmark also fits the embedding alone
    columns = np.arange(dense)
    if dense < x.shape[1]:
        kept = SelectKBest(chi2, k=_KEEP_NGRAMS).fit(x[:, dense:], y).get_support(indices=True)
        columns = np.concatenate([columns, dense + kept])
    model = LogisticRegression(C=_C, max_iter=3000, class_weight="balanced")
    model.fit(x[:, columns], y)
    coef = np.zeros((model.coef_.shape[0], x.shape[1]), dtype=np.float32)
    coef[:, columns] = model.coef_
    return Linear(tuple(str(c) for c in model.classes_), coef, model.intercept_)


URGENT = LABELS[1:]


def label_shares(examples: list[Example], situations: tuple[str, ...]) -> np.ndarray:
    """For each situation, the share of its urgent examples under each urgent label
    (rows in `situations` order, columns in URGENT order)."""
    shares = np.zeros((len(situations), len(URGENT)), dtype=np.float32)
    row = {s: i for i, s in enumerate(situations)}
    for e in examples:
        if e.label != "none":
            shares[row[e.situation], URGENT.index(e.label)] += 1
    return shares / np.maximum(shares.sum(axis=1, keepdims=True), 1)


@dataclass(frozen=True)
class Reading:
    """What the classifier reads in one message."""

    probs: dict[str, float]  # by label, from the label model: how likely urgent at all
    kinds: dict[str, float]  # by urgent label, where the label and situation models agree
    situations: np.ndarray  # P(situation), in `situation_classes` order
    situation_classes: tuple[str, ...]
    shares: np.ndarray  # label_shares of the training examples

    @property
    def label(self) -> str:
        """The urgent label it would be."""
        return max(self.kinds, key=lambda k: self.kinds[k])

    def situation_for(self, label: str) -> str:
        """The likeliest situation of that label, so the card fits the verdict."""
        fit = self.situations * self.shares[:, URGENT.index(label)]
        return self.situation_classes[int(fit.argmax())]


def read(label_probs: np.ndarray, label_classes: tuple[str, ...], situation_probs: np.ndarray,
         situation_classes: tuple[str, ...], shares: np.ndarray) -> Reading:  # fmt: skip
    """Combine one message's label and situation probabilities (also used by the
    cross-validation in tests and benchmarks, with models fitted on each fold)."""
    probs = dict(zip(label_classes, (float(v) for v in label_probs), strict=True))
    by_situation = situation_probs @ shares  # P(urgent label) as the situation model sees it
    product = {k: probs.get(k, 0.0) * float(by_situation[i]) for i, k in enumerate(URGENT)}
    total = sum(product.values()) or 1.0
    return Reading(probs, {k: v / total for k, v in product.items()}, situation_probs, situation_classes, shares)


@dataclass(frozen=True)
class TriageModel:
    labels: Linear
    situations: Linear
    shares: np.ndarray  # label_shares of the training examples, by situation
    examples_hash: str

    @classmethod
    def train(cls, examples: list[Example], vectors: np.ndarray) -> "TriageModel":
        texts = [e.text for e in examples]
        x = features(vectors, texts)
        labels = fit_linear(x, [e.label for e in examples])
        urgent = [i for i, e in enumerate(examples) if e.label != "none"]
        situations = fit_linear(x[urgent], [examples[i].situation for i in urgent])
        return cls(labels, situations, label_shares(examples, situations.classes), examples_hash(examples))

    def situations_of(self, label: str) -> tuple[str, ...]:
        """The situations whose training examples carry that urgent label."""
        column = self.shares[:, URGENT.index(label)]
        return tuple(name for name, share in zip(self.situations.classes, column, strict=True) if share > 0)

    def predict(self, vector: np.ndarray, text: str) -> Reading:
        x = features(np.asarray(vector, dtype=np.float32).reshape(1, -1), [text])
        labels, situations = self.labels, self.situations
        return read(labels.proba(x)[0], labels.classes, situations.proba(x)[0], situations.classes, self.shares)

    def save(self, directory: Path) -> None:
        np.savez(
            directory / MODEL_FILE,
            label_classes=np.array(self.labels.classes),
            label_coef=self.labels.coef,
            label_intercept=self.labels.intercept,
            situation_classes=np.array(self.situations.classes),
            situation_coef=self.situations.coef,
            situation_intercept=self.situations.intercept,
            situation_shares=self.shares,
            examples_hash=np.array(self.examples_hash),
            ngram_features=np.array(_NGRAMS),
        )

    @classmethod
    def load(cls, directory: Path) -> "TriageModel | None":
        path = directory / MODEL_FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            if "situation_shares" not in data or int(data["ngram_features"]) != _NGRAMS:
                raise IndexMismatchError(
                    f"the triage model in {directory} was trained by another version: run `safebot index build`"
                )
            return cls(
                Linear(tuple(str(c) for c in data["label_classes"]), data["label_coef"], data["label_intercept"]),
                Linear(
                    tuple(str(c) for c in data["situation_classes"]),
                    data["situation_coef"],
                    data["situation_intercept"],
                ),
                data["situation_shares"],
                str(data["examples_hash"]),
            )
