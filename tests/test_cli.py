"""`safebot` as a user meets it: answers, JSON Lines, and every kind of bad input gets
one line on stderr and exit code 2 without changing anything."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from index import build_index
from index.build import index_path
from tests.fakes import FakeEmbedder


@pytest.fixture
def real_env(real_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SAFEBOT_DATA_DIR", str(real_data_dir))
    return real_data_dir


def _one_line_error(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("safebot: ")
    return lines[0]


def test_ask_answers_with_key_points_and_source(run_cli, real_env) -> None:
    result = run_cli("ask", "孩子暑假老想去水库游泳，家长该怎么管", "--audience", "parent")
    assert result.code == 0, result.err
    assert "来源：" in result.out and "•" in result.out
    assert "溺水" in result.out or "游泳" in result.out


def test_ask_json_lines_from_stdin(run_cli, real_env) -> None:
    stdin = "萝卜刀算管制刀具吗\n\nWhat should I do if my child is bullied?\n".encode()
    result = run_cli("ask", "--json", "--top-k", "3", stdin=stdin)
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert [r["question"] for r in rows] == ["萝卜刀算管制刀具吗", "What should I do if my child is bullied?"]
    for row in rows:
        assert set(row) == {"question", "triage", "confident", "results", "reply", "section", "audience_used"}
        assert row["triage"] == "none" and len(row["results"]) == 3
        assert set(row["results"][0]) == {
            "doc_id",
            "title",
            "topic",
            "audiences",
            "lang",
            "section",
            "text",
            "score",
            "source",
        }
    assert rows[0]["results"][0]["topic"] == "violence"
    assert rows[1]["results"][0]["lang"] == "en"


def test_crisis_question_gets_the_crisis_reply_and_no_search_result(run_cli, real_env) -> None:
    result = run_cli("ask", "--json", "我真的撑不下去了，不想活了")
    row = json.loads(result.out)
    assert row["triage"] == "crisis"
    assert row["reply"].startswith("谢谢你愿意说出来") and "12356" in row["reply"]
    assert "来源：" not in row["reply"]


def test_emergency_reply_leads_with_what_to_do(run_cli, real_env) -> None:
    row = json.loads(run_cli("ask", "--json", "救命 有人掉河里了").out)
    assert row["triage"] == "emergency"
    assert row["reply"].startswith("⚠️") and "110" in row["reply"].split("\n")[0]


@pytest.mark.parametrize(
    ("message", "label", "numbers"),
    [
        ("楼下邻居家一直冒黑烟 还有小孩在哭", "emergency", ["119"]),
        ("I was raped by my coach and I haven't told anyone", "disclosure", ["110"]),
        ("my friend posted goodbye thank you all and her phone is off", "crisis", ["110", "120"]),
        ("谢谢", "none", []),
    ],
)
def test_each_label_through_ask_json(run_cli, real_env, message: str, label: str, numbers: list[str]) -> None:
    row = json.loads(run_cli("ask", "--json", message).out)
    assert row["triage"] == label
    assert all(n in row["reply"] for n in numbers)


@pytest.mark.parametrize(("message", "english"), [("你好", False), ("谢谢 很有用", False), ("thanks!", True)])
def test_small_talk_through_ask_is_the_friendly_line(run_cli, real_env, message: str, english: bool) -> None:
    """`ask`, the API and the chat say the same: thanks is no out-of-scope question."""
    row = json.loads(run_cli("ask", "--json", message).out)
    assert row["reply"].startswith("😊") and ("Ask me" in row["reply"]) == english
    assert row["triage"] == "none" and row["confident"] is False


def test_off_topic_question_is_answered_honestly(run_cli, real_env) -> None:
    row = json.loads(run_cli("ask", "--json", "红烧肉怎么做才好吃").out)
    assert row["confident"] is False
    assert "不在我能回答的范围里" in row["reply"], "one polite line on what SafeBot covers"


def test_huge_question_is_truncated_with_a_note(run_cli, real_env) -> None:
    result = run_cli("ask", "孩子游泳安全" + "啊" * 20_000)
    assert result.code == 0
    assert "太长" in result.out


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("ask", ""), b"", "empty question"),
        (("ask",), b"\n  \n", "no question given"),
        (("ask",), b"\xff\xfe\xfa", "not valid UTF-8"),
        (("ask", "x", "--audience", "grandma"), b"", "'grandma' is not one of"),
        (("ask", "x", "--grade", "phd"), b"", "'phd' is not one of"),
        (("ask", "x", "--lang", "fr"), b"", "'fr' is not one of"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run_cli, real_env, args, stdin, message) -> None:
    result = run_cli(*args, stdin=stdin)
    assert result.code == 2
    assert message in _one_line_error(result.err)


def test_broken_knowledge_file_names_file_and_line(run_cli, knowledge_copy, monkeypatch) -> None:
    (knowledge_copy / "docs" / "drowning" / "drowning-student-zh.md").write_text("---\nid: [\n---\n")
    monkeypatch.setenv("SAFEBOT_KNOWLEDGE_DIR", str(knowledge_copy))
    for args in (("ask", "溺水"), ("index", "build"), ("kb", "check")):
        result = run_cli(*args)
        assert result.code == 2, args
        assert "drowning-student-zh.md:2: invalid YAML" in result.out + result.err
    assert not Path("var/index").exists(), "nothing was built"


def test_kb_check_passes_on_shipped_knowledge(run_cli) -> None:
    result = run_cli("kb", "check")
    assert result.code == 0, result.out
    assert result.out.startswith("ok: ")


def test_missing_knowledge_directory(run_cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("SAFEBOT_KNOWLEDGE_DIR", str(tmp_path / "nope"))
    result = run_cli("kb", "check")
    assert result.code == 2 and "does not exist" in _one_line_error(result.err)


def test_unknown_embedder_id(run_cli, monkeypatch) -> None:
    monkeypatch.setenv("SAFEBOT_EMBEDDER", "word2vec")
    result = run_cli("ask", "溺水")
    assert result.code == 2 and "unknown embedder 'word2vec'" in _one_line_error(result.err)


def test_index_from_another_embedder_says_which_and_how_to_rebuild(run_cli, tmp_path) -> None:
    from bot.settings import REPO_KNOWLEDGE

    build_index(REPO_KNOWLEDGE, tmp_path / "var", FakeEmbedder(), show_progress=False)
    before = sorted(p.name for p in (tmp_path / "var" / "indexes").iterdir())
    result = run_cli("ask", "溺水")
    line = _one_line_error(result.err)
    assert result.code == 2
    assert "'fake:fake'" in line and "'e5-small-int4'" in line and "safebot index build --rebuild" in line
    assert sorted(p.name for p in (tmp_path / "var" / "indexes").iterdir()) == before


def test_corrupt_index_file(run_cli, real_data_dir, tmp_path, monkeypatch) -> None:
    data = tmp_path / "copy"
    shutil.copytree(real_data_dir, data, symlinks=True)
    monkeypatch.setenv("SAFEBOT_DATA_DIR", str(data))
    (index_path(data) / "chunks.json").write_text("[{")
    result = run_cli("ask", "溺水")
    assert result.code == 2 and "index build --rebuild" in _one_line_error(result.err)


def test_index_info_prints_the_manifest(run_cli, real_env) -> None:
    result = run_cli("index", "info")
    assert result.code == 0
    assert "embedder: e5-small-int4" in result.out and "knowledge_hash:" in result.out


def test_index_info_without_an_index(run_cli) -> None:
    result = run_cli("index", "info")
    assert result.code == 2 and "safebot index build" in _one_line_error(result.err)


def test_cold_ask_in_a_new_process(real_data_dir, monkeypatch) -> None:
    """The console script end to end, as a user would run it."""
    monkeypatch.setenv("SAFEBOT_DATA_DIR", str(real_data_dir))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "过马路要注意什么"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["topic"] == "traffic"


def test_answering_with_the_default_embedder_never_imports_torch(real_data_dir, monkeypatch) -> None:
    monkeypatch.setenv("SAFEBOT_DATA_DIR", str(real_data_dir))
    code = (
        "import sys; from bot.engine.answering.assistant import Assistant; from bot.settings import Settings; "
        "Assistant.open(Settings.from_env()).answer('溺水'); print(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('torch', 'sentence_transformers', 'transformers')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_reminders_upcoming_json(run_cli) -> None:
    result = run_cli("reminders", "upcoming", "--from", "2027-06-01", "--days", "40", "--json")
    assert result.code == 0, result.err
    rows = [json.loads(line) for line in result.out.splitlines()]
    assert rows and {"time", "reminder", "topic", "audiences", "langs", "recipients"} <= set(rows[0])
    assert any(r["reminder"] == "summer-drowning-week-before" and r["time"].startswith("2027-06-26") for r in rows)
    assert all(r["time"] >= "2027-06-01" for r in rows)


def test_send_due_dry_run_changes_nothing(run_cli, tmp_path) -> None:
    from bot.store import open_store
    from bot.store.records import Profile

    store = open_store(f"sqlite:///{tmp_path / 'var' / 'safebot.sqlite3'}")
    store.save_profile(Profile(7, "parent", "primary", "zh"))
    store.subscribe(7, ["drowning"])
    store.close()
    result = run_cli("reminders", "send-due", "--now", "2027-06-26T18:40", "--dry-run")
    assert result.code == 0, result.err
    assert "due: summer-drowning-week-before 2027-06-26 → 1 subscribers" in result.out
    store = open_store(f"sqlite:///{tmp_path / 'var' / 'safebot.sqlite3'}")
    assert store.outbox_counts() == {}
    store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("reminders", "upcoming", "--from", "June"), "--from must be a date"),
        (("reminders", "send-due", "--now", "soon"), "--now must be an ISO time"),
        (("reminders", "send-due", "--now", "2027-06-26T18:40"), "TELEGRAM_BOT_TOKEN is not set"),
    ],
)
def test_reminder_commands_bad_input(run_cli, args, message) -> None:
    result = run_cli(*args)
    assert result.code == 2 and message in _one_line_error(result.err)
