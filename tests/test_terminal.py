"""The terminal channel on a pipe: numbered buttons, a readable transcript, a scored
quiz and lesson files saved to a folder."""

import io
import re
from pathlib import Path

from bot.channels.terminal import run_chat
from bot.engine.router import Dialogue
from bot.store import open_store


def chat(real_assistant, tmp_path: Path, script: str) -> str:
    store = open_store(f"sqlite:///{tmp_path / 'term.sqlite3'}")
    out = io.StringIO()
    try:
        run_chat(Dialogue(real_assistant, store), io.StringIO(script), out, echo=True, files=tmp_path / "files")
    finally:
        store.close()
    return out.getvalue()


def test_transcript_of_onboarding_and_a_question(real_assistant, tmp_path: Path) -> None:
    transcript = chat(real_assistant, tmp_path, "/start\n2\n孩子暑假要去水库游泳怎么办\n")
    assert "> /start" in transcript and "[1] 学生  [2] 家长  [3] 老师" in transcript
    assert "> 2\n孩子（或你）在哪个学段？" in transcript
    assert "来源：" in transcript and "[1] 📖 完整内容" in transcript


def test_quiz_is_scored_at_the_end(real_assistant, tmp_path: Path) -> None:
    transcript = chat(real_assistant, tmp_path, "/quiz\n1\n1\n2\n3\n4\n1\n")
    assert "(1/5)" in transcript and "(5/5)" in transcript
    score = re.search(r"小测结束：答对 (\d)/5 题。", transcript)
    assert score is not None
    marks = transcript.count("✓ 答对了") + transcript.count("✗ 正确答案是")
    assert marks == 5 and transcript.count("✓ 答对了") == int(score.group(1))


def test_lesson_file_is_saved_and_named_from_choices(real_assistant, tmp_path: Path) -> None:
    transcript = chat(real_assistant, tmp_path, "/lesson\n2\n2\n1\n3\n")
    saved = tmp_path / "files" / "violence-middle-plan.docx"
    assert saved.exists() and saved.read_bytes()[:2] == b"PK"
    assert str(saved) in transcript


def test_a_role_given_on_the_command_line_is_the_chats_profile(tmp_path: Path) -> None:
    """`safebot chat --audience teacher` chats as a teacher from the first message, and
    choosing again keeps the language and grade already chosen."""
    from dataclasses import replace

    from bot.channels.terminal import TERMINAL_CHAT_ID, choose_role

    store = open_store(f"sqlite:///{tmp_path / 'term.sqlite3'}")
    try:
        choose_role(store, "teacher")
        profile = store.profile(TERMINAL_CHAT_ID)
        assert profile is not None and profile.role == "teacher"
        store.save_profile(replace(profile, grade="middle", lang="en"))
        choose_role(store, "parent")
        assert store.profile(TERMINAL_CHAT_ID) == replace(profile, role="parent", grade="middle", lang="en")
    finally:
        store.close()
