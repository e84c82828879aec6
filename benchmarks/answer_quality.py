"""Answer quality, judged the way a parent would: for every question in
tests/eval/answers/*.yaml, does the top result come from the section that answers it,
and does the reply contain every group of its answer key (facts or actions any direct
answer must hold, written from public guidance)? Also the `confident` rate and the
reply's length against one phone screen (600 Chinese or 1,000 English characters).

    python benchmarks/answer_quality.py [--show-misses]
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

from bot.assistant import Assistant  # noqa: E402
from bot.settings import Settings  # noqa: E402
from index import Preferences  # noqa: E402

ANSWERS = ROOT / "tests" / "eval" / "answers"
SCREEN = {"zh": 600, "en": 1000}


def load_cases() -> list[dict]:
    cases = []
    for path in sorted(ANSWERS.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            cases.append({**case, "file": path.name})
    return cases


def covers(reply: str, groups: list[list[str]]) -> bool:
    return all(all(re.search(p, reply, re.IGNORECASE) for p in group) for group in groups)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    assistant = Assistant.open(Settings.from_env())
    rows = []
    for case in load_cases():
        if case.get("follow_up_of"):
            continue  # needs the previous turn; measured by the dialogue, not here
        answer = assistant.answer(case["q"], Preferences(audience=case.get("audience")))
        reply = answer.reply
        hits = answer.result.hits
        top = hits[0].chunk if hits else None
        section_hit = bool(top and top.doc_id == case["doc"] and top.section == case["section"])
        in_top3 = any(h.chunk.doc_id == case["doc"] and h.chunk.section == case["section"] for h in hits[:3])
        rows.append(
            {
                "case": case,
                "section1": section_hit,
                "section3": in_top3,
                "doc1": bool(top and top.doc_id == case["doc"]),
                "covered": covers(reply, case.get("answer") or []),
                "confident": answer.result.confident,
                "triage": answer.verdict.label,
                "length": len(reply),
                "over": len(reply) > SCREEN.get(case.get("lang", "zh"), 600),
                "got": f"{top.doc_id} / {top.section}" if top else "-",
            }
        )
    n = len(rows)

    def share(key: str, subset: list[dict] | None = None) -> str:
        subset = rows if subset is None else subset
        return f"{sum(r[key] for r in subset) / len(subset):.3f}" if subset else "-"

    print(f"{n} questions ({sum(r['case'].get('lang') == 'en' for r in rows)} English) from {ANSWERS}")
    print(
        f"\n{'set':<14} {'n':>4} {'section@1':>10} {'section@3':>10} {'doc@1':>7} {'key covered':>12} {'confident':>10}"
    )
    for name, subset in (
        ("all", rows),
        ("zh", [r for r in rows if r["case"].get("lang") != "en"]),
        ("en", [r for r in rows if r["case"].get("lang") == "en"]),
        ("parent", [r for r in rows if r["case"].get("audience") == "parent"]),
        ("student", [r for r in rows if r["case"].get("audience") == "student"]),
        ("teacher", [r for r in rows if r["case"].get("audience") == "teacher"]),
    ):
        print(
            f"{name:<14} {len(subset):>4} {share('section1', subset):>10} {share('section3', subset):>10} "
            f"{share('doc1', subset):>7} {share('covered', subset):>12} {share('confident', subset):>10}"
        )
    lengths = [r["length"] for r in rows]
    print(f"\nreply length: median {statistics.median(lengths):.0f} characters; over one phone screen: {share('over')}")
    verdicts = collections.Counter(r["triage"] for r in rows)
    print("triage verdicts on these questions: " + ", ".join(f"{k} {v}" for k, v in verdicts.most_common()))
    if args.show_misses:
        for r in rows:
            if not r["covered"]:
                print(f"- {r['case']['q']}\n  want {r['case']['doc']} / {r['case']['section']}\n  got  {r['got']}")


if __name__ == "__main__":
    main()
