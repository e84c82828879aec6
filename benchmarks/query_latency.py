"""Query latency and memory with the default embedder and the shipped knowledge:
warm answers in process (triage + search + reply), cold `safebot ask` in a new process,
and the peak resident memory of that process.

    python benchmarks/query_latency.py [--cold-runs N]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.engine.answering.assistant import Assistant
from bot.settings import Settings
from index.evaluate import load_questions

EVAL = Path(__file__).resolve().parent.parent / "tests" / "eval" / "questions.yaml"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args()
    settings = Settings.from_env()
    assistant = Assistant.open(settings)  # builds the index first if needed
    questions = [q.q for q in load_questions(EVAL)]
    for q in questions[:10]:
        assistant.answer(q)
    search_ms, answer_ms = [], []
    for q in questions:
        t0 = time.perf_counter()
        assistant.index.search(q)
        t1 = time.perf_counter()
        assistant.answer(q)
        t2 = time.perf_counter()
        search_ms.append((t1 - t0) * 1000)
        answer_ms.append((t2 - t1) * 1000)

    cold_s = []
    safebot = Path(sys.executable).with_name("safebot")
    for q in questions[: args.cold_runs]:
        t0 = time.perf_counter()
        subprocess.run([str(safebot), "ask", q], check=True, capture_output=True, env=os.environ.copy())
        cold_s.append(time.perf_counter() - t0)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    print(
        f"default embedder, {assistant.index.manifest.chunks} chunks, {len(questions)} questions, "
        f"{os.cpu_count()} cores\n"
    )
    print(f"{'measure':<38} {'p50':>9} {'p95':>9} {'max':>9}")
    for name, values, unit in (
        ("warm index.search (ms)", search_ms, ""),
        ("warm answer: triage+search+reply (ms)", answer_ms, ""),
        ("cold `safebot ask` (s)", cold_s, ""),
    ):
        print(f"{name:<38} {statistics.median(values):>9.1f} {percentile(values, 95):>9.1f} {max(values):>9.1f}{unit}")
    print(f"\npeak RSS of `safebot ask`: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
