"""The real python-telegram-bot Application, over HTTP, against the fake Bot API server:
what a Telegram user sees, including the awkward cases."""

import html
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine.flood import FloodGate
from bot.settings import Settings
from bot.store import open_store
from tests.fake_telegram import TOKEN, BotThread, FakeTelegram

USER = 5001


@pytest.fixture
def settings(fake: FakeTelegram, real_data_dir: Path, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=real_data_dir,
        database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        telegram_token=TOKEN,
        telegram_base_url=fake.url,
    )


def start_bot(settings: Settings, fake: FakeTelegram) -> BotThread:
    return BotThread(settings).start(fake)


@pytest.fixture
def bot(settings: Settings, fake: FakeTelegram) -> Iterator[BotThread]:
    running = start_bot(settings, fake)
    yield running
    running.stop()


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]


def test_startup_registers_commands_in_both_languages(bot: BotThread, fake: FakeTelegram) -> None:
    commands = [c.params for c in fake.calls if c.method == "setMyCommands"]
    assert {c.get("language_code") for c in commands} >= {"zh", "en"}
    zh = next(c for c in commands if c.get("language_code") == "zh")
    assert {"start", "topics", "emergency", "hotlines", "settings", "forget"} <= {c["command"] for c in zh["commands"]}
    assert next(c.method for c in fake.calls) == "getMe"


def test_onboarding_through_button_presses(bot: BotThread, fake: FakeTelegram, settings: Settings) -> None:
    fake.push_text(USER, "/start")
    [greeting] = fake.wait_sent(USER, 1)
    assert greeting["parse_mode"] == "HTML" and "12356" in greeting["text"]
    assert buttons(greeting) == ["role:student", "role:parent", "role:teacher"]
    fake.push_button(USER, "role:parent", message_id=77)
    fake.wait_for(lambda f: len(f.sent(USER, "editMessageText")) == 1)
    edit = fake.sent(USER, "editMessageText")[0]
    assert str(edit["message_id"]) == "77" and "grade:primary" in buttons(edit)
    fake.push_button(USER, "grade:primary", message_id=77)
    fake.wait_for(lambda f: len(f.sent(USER, "editMessageText")) == 2)
    assert any(c.method == "answerCallbackQuery" for c in fake.calls)
    store = open_store(settings.database)
    profile = store.profile(USER)
    store.close()
    assert profile is not None and (profile.role, profile.grade) == ("parent", "primary")


def test_parents_drowning_question_is_answered_with_a_source(bot: BotThread, fake: FakeTelegram) -> None:
    fake.push_text(USER, "孩子暑假总想跟同学去河里游泳，我该怎么办？")
    [answer] = fake.wait_sent(USER, 1)
    assert "来源：" in answer["text"]
    assert buttons(answer)[0].startswith("full:drowning")


def test_crisis_message_gets_the_crisis_reply_first(bot: BotThread, fake: FakeTelegram) -> None:
    fake.push_text(USER, "我真的撑不下去了 不想活了")
    [reply] = fake.wait_sent(USER, 1)
    assert reply["text"].startswith("谢谢你愿意说出来") and "12356" in reply["text"]
    assert "来源" not in reply["text"]


def test_forget_removes_the_profile(bot: BotThread, fake: FakeTelegram, settings: Settings) -> None:
    fake.push_text(USER, "/start")
    fake.wait_sent(USER, 1)
    fake.push_button(USER, "role:student", message_id=5)
    fake.wait_for(lambda f: len(f.sent(USER, "editMessageText")) == 1)
    fake.push_text(USER, "/forget")
    confirm = fake.wait_sent(USER, 2)[-1]
    assert buttons(confirm) == ["forget:yes", "forget:no"]
    fake.push_button(USER, "forget:yes", message_id=6)
    fake.wait_for(lambda f: len(f.sent(USER, "editMessageText")) == 2)
    store = open_store(settings.database)
    assert store.profile(USER) is None
    store.close()


def test_429_retry_after_is_honoured(bot: BotThread, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    fake.push_text(USER, "/help")
    fake.wait_for(lambda f: len([c for c in f.calls if c.method == "sendMessage"]) == 2)
    first, second = [c for c in fake.calls if c.method == "sendMessage"]
    assert second.at - first.at >= 0.9
    assert first.params["text"] == second.params["text"]


def test_unexpected_updates_never_crash_the_bot(bot: BotThread, fake: FakeTelegram) -> None:
    fake.push_sticker(USER)
    fake.push_photo(USER + 1)
    fake.push_edited(USER, "改过的消息")
    fake.push_channel_post(-100123, "频道消息")
    fake.push_text(-200456, "群里有人问溺水", chat_type="group")
    [sticker_reply] = fake.wait_sent(USER, 1)
    [photo_reply] = fake.wait_sent(USER + 1, 1)
    assert "文字" in sticker_reply["text"] and "text" in photo_reply["text"]
    fake.push_text(USER, "/help")
    fake.wait_sent(USER, 2)
    assert fake.sent(-100123) == [] and fake.sent(-200456) == []
    assert len(fake.sent(USER)) == 2, "the edited message got no reply"


def test_html_characters_are_escaped(bot: BotThread, fake: FakeTelegram) -> None:
    fake.push_text(USER, "<b>孩子</b> & 同学去水库 <script>游泳</script> 怎么办")
    [answer] = fake.wait_sent(USER, 1)
    text = answer["text"]
    assert "<" not in text and ">" not in text.replace("&gt;", "")
    assert all(part.startswith(("amp;", "lt;", "gt;")) for part in text.split("&")[1:])
    plain = html.unescape(text)
    assert "来源：" in plain, "the question was answered despite the markup in it"
    assert "&lt;" not in plain and "&amp;" not in plain, "escaped once, not twice"


def test_a_failing_send_is_survived(bot: BotThread, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", 400, "Bad Request: message is too long")
    fake.push_text(USER, "/about")
    fake.wait_sent(USER, 2)  # the failed send, then the apology from the error handler
    assert "出了点问题" in fake.sent(USER)[-1]["text"]
    fake.push_text(USER, "/help")
    assert fake.wait_sent(USER, 3)[-1]["text"].startswith("直接发问题")


def test_flood_control_answers_twenty_then_one_notice(bot: BotThread, fake: FakeTelegram) -> None:
    for _ in range(25):
        fake.push_text(USER, "/hotlines")
    fake.wait_for(lambda f: len(f.sent(USER)) >= 21)
    fake.push_text(USER + 7, "/help")
    fake.wait_sent(USER + 7, 1)  # every earlier update has been handled by now
    texts = [m["text"] for m in fake.sent(USER)]
    assert len(texts) == 21
    assert sum("消息有点多" in t for t in texts) == 1


def test_restart_keeps_the_profile(settings: Settings, fake: FakeTelegram) -> None:
    first = start_bot(settings, fake)
    fake.push_text(USER, "/start")
    fake.wait_sent(USER, 1)
    fake.push_button(USER, "role:teacher", message_id=9)
    fake.wait_for(lambda f: len(f.sent(USER, "editMessageText")) == 1)
    fake.push_button(USER, "grade:high", message_id=9)
    fake.wait_for(lambda f: len(f.sent(USER, "editMessageText")) == 2)
    first.stop()
    second = start_bot(settings, fake)
    try:
        fake.push_text(USER, "/settings")
        reply = fake.wait_sent(USER, 2)[-1]
        assert "老师" in reply["text"] and "高中" in reply["text"]
    finally:
        second.stop()


def test_flood_gate_window() -> None:
    now = [0.0]
    gate = FloodGate(limit=3, window=60, clock=lambda: now[0])
    assert [gate.check(1) for _ in range(5)] == ["ok", "ok", "ok", "notice", "drop"]
    assert gate.check(2) == "ok"
    now[0] = 61.0
    assert gate.check(1) == "ok"


def _safebot(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", *args], env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(values)
    return env


def test_run_without_token_is_a_one_line_error() -> None:
    proc = _safebot(_env(), "run")
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [
        "safebot: TELEGRAM_BOT_TOKEN is not set: get one from @BotFather, or use `safebot chat`"
    ]


def test_rejected_token_is_a_one_line_error(fake: FakeTelegram, real_data_dir: Path) -> None:
    proc = _safebot(
        _env(TELEGRAM_BOT_TOKEN="1:WRONG", SAFEBOT_TELEGRAM_BASE_URL=fake.url, SAFEBOT_DATA_DIR=str(real_data_dir)),
        "run",
    )
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert err.strip().splitlines()[-1].startswith("safebot: Telegram rejected TELEGRAM_BOT_TOKEN")


def test_sigterm_shuts_down_gracefully(fake: FakeTelegram, real_data_dir: Path, tmp_path: Path) -> None:
    proc = _safebot(
        _env(
            TELEGRAM_BOT_TOKEN=TOKEN,
            SAFEBOT_TELEGRAM_BASE_URL=fake.url,
            SAFEBOT_DATA_DIR=str(real_data_dir),
            SAFEBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        ),
        "run",
    )
    try:
        fake.wait_for(lambda f: any(c.method == "deleteWebhook" for c in f.calls), timeout=90)
        fake.push_text(USER, "/help")
        fake.wait_sent(USER, 1)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert time.monotonic() - started < 30


def test_lesson_flow_sends_a_document(bot: BotThread, fake: FakeTelegram) -> None:
    fake.push_text(USER, "/lesson")
    [menu] = fake.wait_sent(USER, 1)
    assert "ls:drowning" in buttons(menu)
    steps = ["ls:drowning", "ls:drowning:primary", "ls:drowning:primary:letter", "ls:drowning:primary:letter:docx"]
    for i, data in enumerate(steps, 1):
        fake.push_button(USER, data, message_id=40)
        if i < len(steps):
            fake.wait_for(lambda f, i=i: len(f.sent(USER, "editMessageText")) == i)
    fake.wait_for(lambda f: len(f.sent(USER, "sendDocument")) == 1)
    document = fake.sent(USER, "sendDocument")[0]
    assert document["document_name"] == "drowning-primary-letter.docx"
    assert document["document"][:2] == b"PK", "a real .docx (zip) file"
    assert "防溺水" in document["caption"]


def test_quiz_arrives_as_native_quiz_polls(bot: BotThread, fake: FakeTelegram) -> None:
    fake.push_text(USER, "/quiz")
    fake.wait_sent(USER, 1)
    fake.push_button(USER, "quiz:traffic", message_id=41)
    fake.wait_for(lambda f: len(f.sent(USER, "sendPoll")) == 5)
    polls = fake.sent(USER, "sendPoll")
    for poll in polls:
        [correct] = poll["correct_option_ids"]
        assert poll["type"] == "quiz" and 0 <= correct < len(poll["options"])
        assert poll["explanation"]


def test_scheduled_reminder_reaches_a_subscriber_once(settings: Settings, fake: FakeTelegram) -> None:
    """The JobQueue enqueues what is due; the sender task delivers it, with the
    acknowledgement button; a second run of the job queues nothing new."""
    import datetime as dt

    from bot.reminders.schedule import TZ
    from bot.store.records import Profile

    store = open_store(settings.database)
    store.save_profile(Profile(USER, "parent", "primary", "zh"))
    store.subscribe(USER, ["drowning"])
    store.close()
    bot = BotThread(settings, clock=lambda: dt.datetime(2027, 6, 26, 18, 35, tzinfo=TZ)).start(fake)
    try:
        # several reminders may be due at once and arrive in any order
        fake.wait_for(lambda f: any("reply_markup" in m and "暑假" in m["text"] for m in f.sent(USER)), timeout=60)
        message = next(m for m in fake.sent(USER) if "reply_markup" in m)
        assert buttons(message) == ["ack:summer-drowning-week-before:2027-06-26"]
        fake.push_button(USER, "ack:summer-drowning-week-before:2027-06-26", message_id=90)
        fake.wait_for(lambda f: any("谢谢" in m["text"] for m in f.sent(USER)))
    finally:
        bot.stop()
    store = open_store(settings.database)
    assert store.acknowledgement_counts() == {("summer-drowning-week-before", "parent"): 1}
    assert store.outbox_counts().get("pending", 0) == 0
    store.close()


def test_every_triage_label_end_to_end(bot: BotThread, fake: FakeTelegram) -> None:
    """Each verdict as a Telegram user sees it: the numbers in the message itself."""
    cases = {
        USER + 11: ("我把药都攒好了，今晚就结束这一切", ["12356"], "谢谢你愿意说出来"),
        USER + 12: ("楼下邻居家一直冒黑烟 还有小孩在哭", ["119"], "⚠️"),  # no alarm word: the classifier
        USER + 13: ("我被继父性侵了 不敢告诉妈妈", ["110"], "谢谢你告诉我"),
        USER + 14: ("池塘边有个小娃一直在扑腾 叫他也不应", ["110", "120"], "⚠️"),
    }
    for chat, (message, _, _) in cases.items():
        fake.push_text(chat, message)
    for chat, (_, numbers, start) in cases.items():
        [reply] = fake.wait_sent(chat, 1)
        assert reply["text"].startswith(start), reply["text"]
        assert all(n in reply["text"] for n in numbers)
