"""Answer quality, judged the way a parent would: for every question in
tests/eval/answers/*.yaml, does the top result come from the section that answers it,
and does the reply contain every group of its answer key (facts or actions any direct
answer must hold, written from public guidance)? Also the `confident` rate and the
reply's length against one phone screen (600 Chinese or 1,000 English characters).

    python benchmarks/answer_quality.py [--set tuning|holdout] [--show-misses]

The tuning set is what the engine was tuned on; the holdout set was written by someone
else and is never read while tuning, so its figures say whether tuning generalises.
Follow-ups are asked as the second turn of a chat; two-part questions count a hit when
the first part's section leads and "both" when both sections are shown; not-covered and
out-of-scope questions count only their confident rate (lower is better).
"""

import argparse
import collections
import re
import statistics
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.engine.answering.assistant import Answer, Assistant  # noqa: E402
from bot.engine.answering.followup import Turn  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index import Preferences  # noqa: E402

SETS = {"tuning": ROOT / "tests" / "eval" / "answers", "holdout": ROOT / "tests" / "eval" / "answers_holdout"}
SCREEN = {"zh": 600, "en": 1000}
NOT_ANSWERABLE = ("not_covered", "out_of_scope")


def load_cases(folder: Path) -> list[dict]:
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            kind = case.get("kind") or ("follow_up" if case.get("follow_up_of") else "direct")
            cases.append({**case, "kind": kind, "file": path.name})
    return cases


def covers(reply: str, groups: list[list[str]]) -> bool:
    return all(all(re.search(p, reply, re.IGNORECASE) for p in group) for group in groups)


def ask(assistant: Assistant, case: dict) -> Answer:
    """A follow-up is the second turn of a chat: the first question is asked first and
    its answer's section is what the engine keeps."""
    prefs = Preferences(audience=case.get("audience"))
    previous = None
    if case.get("follow_up_of"):
        first = assistant.answer(case["follow_up_of"], prefs)
        if first.kept:
            previous = Turn(*first.kept, first.audience or "parent", 0.0)
    return assistant.answer(case["q"], prefs, previous=previous)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--set", choices=sorted(SETS), default="tuning")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    assistant = Assistant.open(Settings.from_env())
    rows = []
    for case in load_cases(SETS[args.set]):
        answer = ask(assistant, case)
        reply = answer.reply
        shown = ([answer.card] if answer.card else []) + list(answer.sections)
        want = [(case.get("doc"), case.get("section"))]
        if case.get("also"):
            want.append((case["also"]["doc"], case["also"]["section"]))
        hits = [(h.chunk.doc_id, h.chunk.section) for h in answer.result.hits]
        answerable = case["kind"] not in NOT_ANSWERABLE
        rows.append(
            {
                "case": case,
                "answerable": answerable,
                "section1": answerable and bool(shown) and shown[0] in want,
                "search1": answerable and bool(hits) and hits[0] in want,
                "section3": answerable and any(w in hits[:3] or w in shown for w in want),
                "both": answerable and all(w in shown for w in want),
                "covered": answerable and covers(reply, case.get("answer") or []),
                "confident": answer.confident,
                "doctor": bool(re.search(r"医生|就医|医院|doctor|clinic|hospital", reply, re.IGNORECASE)),
                "triage": answer.verdict.label,
                "length": len(reply),
                "over": len(reply) > SCREEN.get(case.get("lang", "zh"), 600),
                "got": " + ".join(f"{d} / {h}" for d, h in shown) or answer.scope,
            }
        )
    answerable = [r for r in rows if r["answerable"]]

    def share(key: str, subset: list[dict]) -> str:
        return f"{sum(r[key] for r in subset) / len(subset):.3f}" if subset else "-"

    print(f"{len(rows)} questions ({sum(r['case'].get('lang') == 'en' for r in rows)} English), set '{args.set}'")
    print(
        f"\n{'subset':<14} {'n':>4} {'section@1':>10} {'search@1':>9} {'section@3':>10} {'key covered':>12} "
        f"{'confident':>10}"
    )
    subsets = [("answerable", answerable)]
    subsets += [
        (k, [r for r in answerable if r["case"]["kind"] == k]) for k in ("direct", "follow_up", "two_part", "health")
    ]
    subsets += [(lang, [r for r in answerable if r["case"].get("lang", "zh") == lang]) for lang in ("zh", "en")]
    subsets += [
        (a, [r for r in answerable if r["case"].get("audience") == a]) for a in ("parent", "student", "teacher")
    ]
    for name, subset in subsets:
        if subset:
            print(
                f"{name:<14} {len(subset):>4} {share('section1', subset):>10} {share('search1', subset):>9} "
                f"{share('section3', subset):>10} "
                f"{share('covered', subset):>12} {share('confident', subset):>10}"
            )
    for kind in NOT_ANSWERABLE:
        subset = [r for r in rows if r["case"]["kind"] == kind]
        if subset:
            print(f"{kind:<14} {len(subset):>4} {'':>10} {'':>9} {'':>10} {'':>12} {share('confident', subset):>10}")
    two = [r for r in answerable if r["case"]["kind"] == "two_part"]
    if two:
        print(f"\ntwo-part questions with both sections shown: {share('both', two)}")
    health = [r for r in rows if r["case"]["kind"] == "health"]
    if health:
        print(f"health questions told to see a doctor: {share('doctor', health)}")
    lengths = [r["length"] for r in answerable]
    print(
        f"reply length: median {statistics.median(lengths):.0f} characters; "
        f"over one phone screen: {share('over', answerable)}"
    )
    verdicts = collections.Counter(r["triage"] for r in rows)
    print("triage verdicts on these questions: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
    if args.show_misses:
        for r in rows:
            miss = not r["covered"] if r["answerable"] else r["confident"]
            if miss:
                want = f"{r['case'].get('doc')} / {r['case'].get('section')}" if r["answerable"] else r["case"]["kind"]
                print(f"- [{r['case']['kind']}] {r['case']['q']}\n  want {want}\n  got  {r['got']}")


if __name__ == "__main__":
    main()
