"""Latency of the Telegram bot end to end: the real Application polls the fake Bot API
server from the tests over HTTP; the time is from the moment getUpdates hands out an
update to the moment the matching sendMessage reaches the server. First one question at
a time, then 50 chats asking at once; then the memory of the process running the bot.

    python benchmarks/bot_latency.py [--questions 500] [--chats 50]
"""

import argparse
import resource
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from index.evaluate import load_questions  # noqa: E402
from tests.fake_telegram import TOKEN, BotThread, FakeTelegram  # noqa: E402


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def latency_ms(fake: FakeTelegram, update_id: int, chat_id: int, after: int) -> float:
    sends = [c for c in fake.calls if c.method == "sendMessage" and str(c.params["chat_id"]) == str(chat_id)]
    return (sends[after].at - fake.served_at[update_id]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--chats", type=int, default=50)
    args = parser.parse_args()
    env = Settings.from_env()
    questions = [q.q for q in load_questions(ROOT / "tests" / "eval" / "questions.yaml")]
    fake = FakeTelegram()
    url = fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=env.data_dir,
            knowledge_dir=env.knowledge_dir,
            embedder=env.embedder,
            database_url=f"sqlite:///{tmp}/bench.sqlite3",
            telegram_token=TOKEN,
            telegram_base_url=url,
        )
        bot = BotThread(settings).start(fake)
        rss_idle = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        try:
            sequential = []
            for i in range(args.questions):
                chat = 10_000 + i  # a new user each time, so flood control stays out of the way
                before = len(fake.sent(chat))
                update = fake.push_text(chat, questions[i % len(questions)])
                fake.wait_sent(chat, before + 1, timeout=60)
                sequential.append(latency_ms(fake, update, chat, before))
            concurrent = []
            rounds = max(1, args.questions // args.chats)
            for r in range(rounds):
                pushed = []
                for c in range(args.chats):
                    chat = 20_000 + c
                    question = questions[(r * 7 + c) % len(questions)]
                    pushed.append((chat, len(fake.sent(chat)), fake.push_text(chat, question)))
                for chat, before, update in pushed:
                    fake.wait_sent(chat, before + 1, timeout=120)
                    concurrent.append(latency_ms(fake, update, chat, before))
        finally:
            bot.stop()
            fake.stop()
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"update served → sendMessage, ms ({len(sequential)} questions one at a time; "
        f"{len(concurrent)} as {args.chats} chats at once)\n"
    )
    print(f"{'load':<22} {'p50':>8} {'p95':>8} {'max':>8}")
    for name, values in (("one at a time", sequential), (f"{args.chats} chats at once", concurrent)):
        print(f"{name:<22} {statistics.median(values):>8.1f} {percentile(values, 95):>8.1f} {max(values):>8.1f}")
    print(f"\nmemory of the bot process: {rss_idle:.0f} MB after start, {rss_peak:.0f} MB peak")


if __name__ == "__main__":
    main()
