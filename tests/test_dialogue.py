"""The dialogue engine alone, without any channel: onboarding, grounded answers with
sources and buttons, triage first, honest "not sure", settings and /forget."""

from pathlib import Path

import pytest

from bot.engine.router import Dialogue, Incoming, Reply
from bot.store import Store, open_store

CHAT = 4242


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    yield s
    s.close()


@pytest.fixture
def dialogue(real_assistant, store: Store) -> Dialogue:
    return Dialogue(real_assistant, store)


def datas(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


def test_onboarding_through_buttons(dialogue: Dialogue, store: Store) -> None:
    [greeting] = dialogue.handle(Incoming(CHAT, "/start", language="zh-hans"))
    assert "不是急救或报警电话" in greeting.text and "110" in greeting.text and "12356" in greeting.text
    assert datas(greeting) == ["role:student", "role:parent", "role:teacher"]
    [grade] = dialogue.handle(Incoming(CHAT, button="role:teacher"))
    assert grade.edit and "grade:middle" in datas(grade)
    [done] = dialogue.handle(Incoming(CHAT, button="grade:middle"))
    assert "老师" in done.text and "初中" in done.text
    profile = store.profile(CHAT)
    assert profile is not None and (profile.role, profile.grade, profile.lang) == ("teacher", "middle", "zh")


def test_english_telegram_users_get_english(dialogue: Dialogue) -> None:
    [greeting] = dialogue.handle(Incoming(7, "/start", language="en"))
    assert greeting.text.startswith("Hi, I'm SafeBot")


def test_question_before_onboarding_is_answered_as_a_parent(dialogue: Dialogue, store: Store) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, "孩子暑假老想去水库游泳怎么办"))
    assert "来源：" in reply.text
    buttons = datas(reply)
    assert buttons[0].startswith("full:drowning"), "📖 opens the whole document"
    assert any(b.startswith("fb:u:") for b in buttons) and any(b.startswith("fb:d:") for b in buttons)
    assert len([b for b in buttons if b.startswith("doc:")]) == 2  # two related documents
    assert store.profile(CHAT) is None, "nothing is stored before /start"
    assert store.counters("questions:") == {"questions:drowning": 1}


def test_crisis_reply_comes_first_and_alone(dialogue: Dialogue, store: Store) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, "我真的撑不下去了，活着没意思"))
    assert reply.text.startswith("谢谢你愿意说出来") and "12356" in reply.text
    assert "来源" not in reply.text
    assert datas(reply) == ["hotlines"]
    assert store.counters("triage:") == {"triage:crisis": 1}


def test_emergency_offers_the_card(dialogue: Dialogue) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, "厨房一股煤气味 现在咋办"))
    assert reply.text.startswith("⚠️")
    assert datas(reply)[0] == "doc:card-gas-zh"


def test_out_of_scope_says_so_and_offers_topics(dialogue: Dialogue, store: Store) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, "红烧肉怎么做才好吃"))
    assert "不在我能回答的范围里" in reply.text
    assert datas(reply)[0] == "topic:drowning" and len(datas(reply)) == 8
    assert store.counters("unanswered") == {"unanswered": 1}


def test_topics_documents_and_sections(dialogue: Dialogue) -> None:
    [menu] = dialogue.handle(Incoming(CHAT, "/topics"))
    assert "topic:violence" in datas(menu)
    [docs] = dialogue.handle(Incoming(CHAT, button="topic:violence"))
    ids = [d.removeprefix("doc:") for d in datas(docs)]
    kinds = [dialogue.assistant.knowledge.document(i).meta.kind for i in ids]
    assert "card-knife-fight-zh" in ids and kinds == sorted(kinds, key=lambda k: k != "card"), "cards come first"
    assert {dialogue.assistant.knowledge.document(i).meta.topic for i in ids} == {"violence"}
    [doc] = dialogue.handle(Incoming(CHAT, button="doc:violence-knives-zh"))
    assert doc.text.startswith("【") and "来源：" in doc.text
    sections = [d for d in datas(doc) if d.startswith("sec:")]
    [section] = dialogue.handle(Incoming(CHAT, button=sections[0]))
    assert section.text != doc.text


def test_feedback_is_counted_per_section(dialogue: Dialogue, store: Store) -> None:
    [thanks] = dialogue.handle(Incoming(CHAT, button="fb:u:drowning-parent-zh:0"))
    dialogue.handle(Incoming(CHAT, button="fb:d:drowning-parent-zh:0"))
    dialogue.handle(Incoming(CHAT, button="fb:u:drowning-parent-zh:0"))
    assert "谢谢" in thanks.text
    heading = dialogue.assistant.knowledge.document("drowning-parent-zh").sections[0].heading
    assert store.feedback_counts("drowning-parent-zh", heading) == (2, 1)


@pytest.mark.parametrize("data", ["doc:no-such-doc", "fb:u:drowning-parent-zh:99", "sec:x:y", "weird", "topic:x"])
def test_stale_or_forged_buttons_are_harmless(dialogue: Dialogue, data: str) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, button=data))
    assert reply.text


def test_settings_change_language(dialogue: Dialogue, store: Store) -> None:
    dialogue.handle(Incoming(CHAT, "/start"))
    [menu] = dialogue.handle(Incoming(CHAT, "/settings"))
    assert datas(menu) == ["set:role", "set:grade", "set:lang"]
    [choose] = dialogue.handle(Incoming(CHAT, button="set:lang"))
    assert datas(choose) == ["lang:zh", "lang:en"]
    dialogue.handle(Incoming(CHAT, button="lang:en"))
    [helptext] = dialogue.handle(Incoming(CHAT, "/help"))
    assert helptext.text.startswith("Just send a question")


def test_forget_asks_first_then_deletes(dialogue: Dialogue, store: Store) -> None:
    dialogue.handle(Incoming(CHAT, "/start"))
    dialogue.handle(Incoming(CHAT, button="role:parent"))
    [confirm] = dialogue.handle(Incoming(CHAT, "/forget"))
    assert datas(confirm) == ["forget:yes", "forget:no"]
    dialogue.handle(Incoming(CHAT, button="forget:no"))
    assert store.profile(CHAT) is not None
    [done] = dialogue.handle(Incoming(CHAT, button="forget:yes"))
    assert done.edit and store.profile(CHAT) is None


@pytest.mark.parametrize(
    ("command", "says", "button"),
    [
        ("/help", "直接发问题", None),
        ("/about", "知识库", None),
        ("/hotlines", "12356", None),
        ("/emergency", "正在发生危险", "doc:card-"),
        ("/topics", "选择一个主题", "topic:drowning"),
        ("/settings", "当前设置", None),
    ],
)
def test_every_command_answers_with_its_own_reply(
    dialogue: Dialogue, command: str, says: str, button: str | None
) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, command))
    assert says in reply.text
    if button:
        assert any(d.startswith(button) for d in datas(reply))


@pytest.mark.parametrize(
    "message",
    [
        "谢谢",
        "谢谢你！",
        "谢谢啊",
        "好的 谢谢老师",
        "明白了",
        "ok",
        "Thank you",
        "thanks so much!",
        "👍",
        "thanks, that was really helpful!",
        "谢谢 很有用",
    ],
)
def test_small_talk_gets_a_short_friendly_reply(dialogue: Dialogue, store: Store, message: str) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, message))
    assert reply.text.startswith("😊") and len(reply.text) < 120
    assert store.counters("unanswered") == {}
    # thanks in words are answered in their own language, an emoji in the chat's
    english = message.isascii() and any(c.isalpha() for c in message)
    assert ("Ask me" in reply.text) == english


@pytest.mark.parametrize("blank", ["", "   ", "\n\t "])
def test_a_blank_message_gets_the_help_text(dialogue: Dialogue, blank: str) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, blank))
    assert reply.text.startswith("直接发问题")


def test_hotlines_come_from_the_hotline_file(dialogue: Dialogue) -> None:
    [reply] = dialogue.handle(Incoming(CHAT, "/hotlines"))
    for number in ("110", "119", "120", "122", "12356", "12355", "96110", "12315"):
        assert number in reply.text
    assert "988" not in reply.text, "the US line is shown in English only"


def test_unknown_command_explains(dialogue: Dialogue) -> None:
    replies = dialogue.handle(Incoming(CHAT, "/frobnicate"))
    assert "不认识" in replies[0].text and replies[1].text.startswith("直接发问题")


@pytest.fixture
def with_reminders(real_assistant, store: Store) -> Dialogue:
    from bot.reminders.book import load_reminders

    return Dialogue(real_assistant, store, load_reminders(real_assistant.knowledge), admins=frozenset({1}))


def test_subscribe_toggle_list_and_unsubscribe(with_reminders: Dialogue, store: Store) -> None:
    [menu] = with_reminders.handle(Incoming(CHAT, "/subscribe"))
    assert datas(menu)[0] == "sub:all" and "21:30" in menu.text
    [after] = with_reminders.handle(Incoming(CHAT, button="sub:drowning"))
    assert after.edit and any(b.label.startswith("✅") for row in after.buttons for b in row)
    assert store.subscriptions(CHAT) == ["drowning"]
    with_reminders.handle(Incoming(CHAT, button="sub:drowning"))
    assert store.subscriptions(CHAT) == []
    with_reminders.handle(Incoming(CHAT, button="sub:all"))
    assert len(store.subscriptions(CHAT)) == 8
    [listing] = with_reminders.handle(Incoming(CHAT, "/reminders"))
    assert listing.text.startswith("已订阅：")
    [done] = with_reminders.handle(Incoming(CHAT, "/unsubscribe"))
    assert "退订" in done.text and store.subscriptions(CHAT) == []


def test_acknowledgement_is_counted_not_listed(with_reminders: Dialogue, store: Store) -> None:
    with_reminders.handle(Incoming(CHAT, "/start"))
    with_reminders.handle(Incoming(CHAT, button="role:teacher"))
    [thanks] = with_reminders.handle(Incoming(CHAT, button="ack:summer-drowning-week-before:2027-06-26"))
    with_reminders.handle(Incoming(CHAT, button="ack:summer-drowning-week-before:2027-06-26"))
    assert "谢谢" in thanks.text
    assert store.acknowledgement_counts() == {("summer-drowning-week-before", "teacher"): 1}


def test_broadcast_is_for_admins_only(with_reminders: Dialogue, store: Store) -> None:
    [refused] = with_reminders.handle(Incoming(CHAT, "/broadcast 明天停课"))
    assert "管理员" in refused.text
    [refused_button] = with_reminders.handle(Incoming(CHAT, button="bc:1"))
    assert "管理员" in refused_button.text
    [stats] = with_reminders.handle(Incoming(CHAT, "/stats"))
    assert "管理员" in stats.text
    assert store.counters("admin:") == {"admin:refused": 3}
    assert store.outbox_counts() == {}


def test_admin_broadcast_previews_then_queues(with_reminders: Dialogue, store: Store) -> None:
    with_reminders.handle(Incoming(CHAT, button="sub:all"))
    [preview] = with_reminders.handle(Incoming(1, "/broadcast 暑假注意防溺水"))
    assert "暑假注意防溺水" in preview.text
    confirm, cancel = datas(preview)
    assert confirm.startswith("bc:") and cancel.startswith("bcx:")
    [queued] = with_reminders.handle(Incoming(1, button=confirm))
    assert "1" in queued.text and store.outbox_counts() == {"pending": 1}
    [again] = with_reminders.handle(Incoming(1, button=confirm))
    assert again.text and store.outbox_counts() == {"pending": 1}, "a second press queues nothing"
    [stats] = with_reminders.handle(Incoming(1, "/stats"))
    assert "subscribers by role" in stats.text


def test_an_emergency_reply_never_repeats_its_card(real_assistant) -> None:
    answer = real_assistant.answer("what do i do if i see a kid go under in a lake")
    assert answer.verdict.label == "emergency"
    assert answer.card is not None
    _, heading = answer.card
    assert answer.reply.count(heading) == 1, answer.reply


def test_the_engine_returns_a_whole_document_as_one_reply(dialogue: Dialogue) -> None:
    """Splitting is the channel's business: the engine gives the whole text, whatever its length."""
    docs = dialogue.assistant.knowledge.documents
    longest = max(docs, key=lambda d: sum(len(s.text) for s in d.sections))
    [whole] = dialogue.handle(Incoming(CHAT, button=f"full:{longest.meta.id}"))
    assert len(whole.text) > 4096
    assert all(s.heading in whole.text for s in longest.sections)
