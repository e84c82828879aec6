"""Each channel splits the engine's whole replies for its own limit: Telegram at 4,000
characters (room for HTML escaping under 4,096), buttons on the last part."""

from bot.channels.telegram.render import TEXT_LIMIT, split_reply
from bot.channels.textsplit import split_text
from bot.engine.contract import Button, QuizPoll, Reply


def test_long_text_is_split_at_paragraphs_below_the_limit() -> None:
    paragraphs = [f"第{i}段。" + "安全" * 300 for i in range(20)]
    parts = split_text("\n\n".join(paragraphs), limit=4000)
    assert len(parts) > 1 and all(len(p) <= 4000 for p in parts)
    assert all(p.startswith("第") for p in parts)
    assert "".join(p.replace("\n\n", "") for p in parts) == "".join(paragraphs)
    assert split_text("x" * 9000, limit=4000) == ["x" * 4000, "x" * 4000, "x" * 1000]


def test_telegram_puts_buttons_on_the_last_part_and_edits_with_the_first() -> None:
    row = ((Button("📞", "hotlines"),),)
    whole = Reply("\n\n".join(["段" * 3000] * 3), row, edit=True)
    parts = split_reply(whole)
    assert [len(p.text) for p in parts] == [3000, 3000, 3000]
    assert [p.buttons for p in parts] == [(), (), row]
    assert [p.edit for p in parts] == [True, False, False]
    assert all(len(p.text) <= TEXT_LIMIT for p in parts)


def test_short_replies_polls_and_files_pass_whole() -> None:
    short = Reply("好", ((Button("a", "b"),),))
    poll = Reply("x" * 5000, poll=QuizPoll("q", ("a", "b"), 0, "e"))
    assert split_reply(short) == [short] and split_reply(poll) == [poll]
