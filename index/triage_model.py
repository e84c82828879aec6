"""The learned step of safety triage: a classifier over the index embedder's vectors and
character n-grams, trained from the reviewed example messages in knowledge/triage/ when
the index is built. Reviewers change what it does by editing those files, not code.

Two linear models are stored as plain arrays (no pickles): one gives the probability of
each label (none, crisis, emergency, disclosure), one the situation of an urgent message
(drowning, fire, ...), which picks the card. Prediction is a few dot products, so triage
adds well under a millisecond to a question whose embedding is already computed."""

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import yaml
from pydantic import Field, ValidationError
from scipy import sparse

from index.errors import IndexMismatchError
from index.knowledge import Problem, yaml_problem
from index.models import Strict
from index.text import normalize

if TYPE_CHECKING:
    from sklearn.feature_extraction.text import HashingVectorizer

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
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
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


@functools.cache
def _vectorizer() -> "HashingVectorizer":
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(
        analyzer="char_wb", ngram_range=(1, 3), n_features=_NGRAMS, alternate_sign=False, norm="l2"
    )


def ngrams(texts: list[str]) -> sparse.csr_matrix:
    """Character 1–3-grams, hashed: stateless, so the same at training and at use."""
    return _vectorizer().transform(texts)


def features(vectors: np.ndarray, texts: list[str]) -> sparse.csr_matrix:
    """`vectors` are the query embeddings of the normalised texts (as `embed_query`)."""
    grams = ngrams([normalize(t) for t in texts]) * _NGRAM_WEIGHT
    return sparse.hstack([sparse.csr_matrix(vectors), grams]).tocsr()


@dataclass(frozen=True)
class Linear:
    classes: tuple[str, ...]
    coef: np.ndarray  # (classes, features)
    intercept: np.ndarray

    def proba(self, x: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(x @ self.coef.T) + self.intercept
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


@dataclass(frozen=True)
class TriageModel:
    labels: Linear
    situations: Linear
    examples_hash: str

    @classmethod
    def train(cls, examples: list[Example], vectors: np.ndarray) -> "TriageModel":
        texts = [e.text for e in examples]
        x = features(vectors, texts)
        labels = fit_linear(x, [e.label for e in examples])
        urgent = [i for i, e in enumerate(examples) if e.label != "none"]
        situations = fit_linear(x[urgent], [examples[i].situation for i in urgent])
        return cls(labels, situations, examples_hash(examples))

    def predict(self, vector: np.ndarray, text: str) -> tuple[dict[str, float], str]:
        """Probabilities by label, and the most likely situation were it urgent."""
        x = features(np.asarray(vector, dtype=np.float32).reshape(1, -1), [text])
        p = self.labels.proba(x)[0]
        s = self.situations.proba(x)[0]
        return dict(zip(self.labels.classes, (float(v) for v in p), strict=True)), self.situations.classes[
            int(s.argmax())
        ]

    def save(self, directory: Path) -> None:
        np.savez(
            directory / MODEL_FILE,
            label_classes=np.array(self.labels.classes),
            label_coef=self.labels.coef,
            label_intercept=self.labels.intercept,
            situation_classes=np.array(self.situations.classes),
            situation_coef=self.situations.coef,
            situation_intercept=self.situations.intercept,
            examples_hash=np.array(self.examples_hash),
            ngram_features=np.array(_NGRAMS),
        )

    @classmethod
    def load(cls, directory: Path) -> "TriageModel | None":
        path = directory / MODEL_FILE
        if not path.exists():
            return None
        with np.load(path, allow_pickle=False) as data:
            if "ngram_features" not in data or int(data["ngram_features"]) != _NGRAMS:
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
                str(data["examples_hash"]),
            )
