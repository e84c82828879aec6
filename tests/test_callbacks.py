"""Button data: one codec, and every button the knowledge can produce fits Telegram's
64 bytes."""

import pytest

from bot.engine.callbacks import MAX_BYTES, ButtonDataError, Press, decode, encode
from bot.settings import REPO_KNOWLEDGE
from index.knowledge import load_knowledge


def test_encode_joins_fields_and_decode_splits_them() -> None:
    data = encode("fb", "u", "drowning-parent-zh", 2)
    assert data == "fb:u:drowning-parent-zh:2"
    assert decode(data) == Press("fb", ("u", "drowning-parent-zh", "2"))
    assert decode("hotlines") == Press("hotlines", ())
    assert decode("sec:doc:3").field(1) == "3" and decode("sec:doc").field(1) == ""
    assert decode("ls:drowning:primary").rest == "drowning:primary"


def test_data_over_64_bytes_is_refused_when_made_and_ignored_when_pressed() -> None:
    fits = encode("doc", "x" * (MAX_BYTES - 4))
    assert len(fits.encode()) == MAX_BYTES
    with pytest.raises(ButtonDataError, match="64 bytes"):
        encode("doc", "x" * (MAX_BYTES - 3))
    with pytest.raises(ButtonDataError, match="64 bytes"):
        encode("doc", "溺" * 21)  # 63 bytes of UTF-8 plus the kind
    assert decode("doc:" + "x" * 61) == Press("")


def test_a_field_with_the_separator_is_refused() -> None:
    with pytest.raises(ButtonDataError, match="may not contain"):
        encode("doc", "a:b")


def test_every_document_button_fits() -> None:
    """The longest data a document can be named in: a vote on its 99th section, and the
    "yes, now" of a check-in naming it as the card."""
    knowledge = load_knowledge(REPO_KNOWLEDGE)
    for doc in knowledge.documents:
        for data in (
            encode("fb", "u", doc.meta.id, 99),
            encode("sec", doc.meta.id, 99),
            encode("full", doc.meta.id),
            encode("chk", "y", "disclosure", doc.meta.id, 1),
        ):
            assert decode(data).kind in ("fb", "sec", "full", "chk")
