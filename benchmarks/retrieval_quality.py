"""Retrieval quality on tests/eval/questions.yaml: topic hit@1, document hit@1/@3 and MRR
for dense only, BM25 only and hybrid; then how the `confident` flag separates answerable
questions from off-topic ones (tests/eval/offtopic.yaml).

    python benchmarks/retrieval_quality.py [--misses]
"""

import argparse
import sys
from pathlib import Path

import yaml

from bot.settings import Settings
from index import open_index
from index.embedders import get_embedder
from index.evaluate import MODES, evaluate, load_questions

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--misses", action="store_true", help="list the topic misses of hybrid")
    args = parser.parse_args()
    settings = Settings.from_env()
    index = open_index(settings.knowledge_dir, settings.data_dir, get_embedder(settings.embedder))
    questions = load_questions(EVAL / "questions.yaml")
    print(f"embedder {index.manifest.embedder}, {index.manifest.chunks} chunks, {len(questions)} questions\n")
    print(f"{'mode':<8} {'topic@1':>8} {'doc@1':>7} {'doc@3':>7} {'MRR':>7}")
    hybrid = None
    for mode in MODES:
        m = evaluate(index, questions, mode)
        hybrid = m if mode == "hybrid" else hybrid
        print(f"{mode:<8} {m.topic_hit1:>8.3f} {m.doc_hit1:>7.3f} {m.doc_hit3:>7.3f} {m.mrr:>7.3f}")
    for lang in ("zh", "en"):
        subset = [q for q in questions if q.lang == lang]
        m = evaluate(index, subset, "hybrid")
        print(f"hybrid/{lang:<2} {m.topic_hit1:>7.3f} {m.doc_hit1:>7.3f} {m.doc_hit3:>7.3f} {m.mrr:>7.3f}  (n={m.n})")

    offtopic = yaml.safe_load((EVAL / "offtopic.yaml").read_text(encoding="utf-8"))
    answered = [index.search(q.q, top_k=3) for q in questions]
    correct = [bool(r.hits) and r.hits[0].chunk.topic == q.topic for r, q in zip(answered, questions, strict=True)]
    confident = [r.confident for r in answered]
    off = [index.search(q, top_k=3) for q in offtopic]
    n_conf = sum(confident) or 1
    print("\nconfidence flag (hybrid):")
    print(f"  in-domain questions marked confident: {sum(confident) / len(questions):.3f}")
    print(
        f"  topic@1 among confident:             "
        f"{sum(c and k for c, k in zip(correct, confident, strict=True)) / n_conf:.3f}"
    )
    print(f"  off-topic questions marked confident: {sum(r.confident for r in off) / len(off):.3f} (n={len(off)})")
    print("\n  margin >=   in-domain kept   right among kept   off-topic kept")
    for t in (-0.03, -0.02, -0.012, -0.005, 0.0, 0.01):
        kept = [c for r, c in zip(answered, correct, strict=True) if r.margin >= t]
        print(
            f"  {t:>9.3f} {len(kept) / len(answered):>16.3f} {sum(kept) / max(1, len(kept)):>18.3f} "
            f"{sum(r.margin >= t for r in off) / len(off):>16.3f}"
        )
    if args.misses and hybrid:
        print("\ntopic misses (hybrid):")
        for q, want, got in hybrid.misses:
            print(f"  [{want}] got {got}: {q}")
    sys.exit(0)


if __name__ == "__main__":
    main()
