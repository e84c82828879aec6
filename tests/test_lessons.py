"""Lesson material: every kind in every format for every topic and grade renders; the
Word file has real headings and the reply slip; HTML escapes what teachers type; bad
choices list the valid ones; nothing is overwritten without --force. Pledges and posters
say only what knowledge/lessons/pledges.yaml writes as commitments, and a broken
pledges file is a file:line error from `safebot kb check`."""

import datetime as dt
import io
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document as Docx

from bot.lessons.maker import FORMATS, KINDS, LessonMaker, LessonRequest
from bot.settings import REPO_KNOWLEDGE
from index.errors import BadInputError, KnowledgeError
from index.knowledge import load_knowledge
from index.lesson_file import GRADES, lesson_problems
from index.quizzes import load_quizzes
from index.text import key_points
from index.vocab import TOPICS

DAY = dt.date(2026, 12, 1)


def maker_for(root: Path) -> LessonMaker:
    knowledge = load_knowledge(root)
    return LessonMaker(knowledge, load_quizzes(root, knowledge.hotlines, {d.meta.id for d in knowledge.documents}))


@pytest.fixture(scope="module")
def maker() -> LessonMaker:
    return maker_for(REPO_KNOWLEDGE)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_kind_and_grade_renders_in_markdown(maker: LessonMaker, topic: str) -> None:
    for grade in GRADES:
        for kind in KINDS:
            text = maker.markdown(LessonRequest(topic, grade, kind, date=DAY))
            assert text.startswith("# ") and "{{" not in text and "None" not in text
            assert "110" in text, "every piece names the police number"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_renders(maker: LessonMaker, kind: str, fmt: str) -> None:
    for topic in TOPICS:
        for grade in GRADES:
            data = maker.render(LessonRequest(topic, grade, kind, date=DAY), fmt)
            assert len(data) > 500


def test_plan_has_every_part(maker: LessonMaker) -> None:
    text = maker.markdown(LessonRequest("drowning", "primary", "plan", date=DAY))
    for part in (
        "教学目标",
        "课时与准备",
        "导入",
        "案例讨论",
        "安全要点",
        "情景演练",
        "知识小测",
        "参考答案",
        "小结",
        "家庭任务",
        "资料来源",
    ):
        assert part in text, part
    assert "40分钟" in text and "2026—2027学年第一学期" in text


def test_letter_docx_has_headings_and_reply_slip(maker: LessonMaker) -> None:
    data = maker.render(
        LessonRequest("drowning", "primary", "letter", school="阳光小学", class_name="三(2)班", date=DAY), "docx"
    )
    doc = Docx(io.BytesIO(data))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "致家长的一封信：防溺水" and "回执" in headings
    assert any("沿此线剪下" in p.text for p in doc.paragraphs)
    slip = doc.tables[-1]
    assert [c.text for c in slip.rows[0].cells] == ["学生姓名", "班级", "家长签名", "联系方式", "日期"]
    assert slip.rows[1].cells[1].text == "三(2)班"
    assert any("阳光小学" in p.text for p in doc.paragraphs)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_html_escapes_what_teachers_type(maker: LessonMaker) -> None:
    school = '<script>alert(1)</script>一中 & "实验" *星* [链接](x)'
    html = maker.render(
        LessonRequest("violence", "high", "letter", school=school, class_name="<b>高一</b>", date=DAY), "html"
    ).decode()
    parser = _Collector()
    parser.feed(html)
    assert "script" not in parser.tags
    assert "b" not in parser.tags and "em" not in parser.tags and "a" not in parser.tags
    text = "".join(parser.text)
    assert school in text and "<b>高一</b>" in text
    assert '<div class="cut">' in html and "@page { size: A4" in html


def test_poster_for_violence_is_the_dangerous_items_list(maker: LessonMaker) -> None:
    text = maker.markdown(LessonRequest("violence", "middle", "poster", school="第一中学", date=DAY))
    assert text.startswith("# 第一中学危险物品负面清单") and "萝卜刀" in text


@pytest.mark.parametrize(("field", "value"), [("topic", "cooking"), ("grade", "college"), ("kind", "essay")])
def test_unknown_choices_list_the_valid_ones(maker: LessonMaker, field: str, value: str) -> None:
    values = {"topic": "drowning", "grade": "primary", "kind": "plan", field: value}
    with pytest.raises(BadInputError, match=f"unknown {field} '{value}': choose one of"):
        maker.markdown(LessonRequest(values["topic"], values["grade"], values["kind"]))
    with pytest.raises(BadInputError, match="unknown format 'pdf': choose one of md, html, docx"):
        maker.render(LessonRequest("drowning", "primary", "plan"), "pdf")


def test_template_error_names_template_and_line(knowledge_copy: Path) -> None:
    template = knowledge_copy / "lessons" / "pledge.md.j2"
    template.write_text(
        template.read_text(encoding="utf-8").replace("{{ date }}", "{{ no_such_value }}"), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError, match=r"pledge\.md\.j2:\d+: 'no_such_value' is undefined"):
        maker_for(knowledge_copy).markdown(LessonRequest("drowning", "primary", "pledge"))
    template.write_text("{% for x in %}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"pledge\.md\.j2:1:"):
        maker_for(knowledge_copy).markdown(LessonRequest("drowning", "primary", "pledge"))


def test_cli_writes_files_and_refuses_to_overwrite(run_cli, tmp_path: Path) -> None:
    out = tmp_path / "plan.docx"
    first = run_cli(
        "lesson",
        "traffic",
        "--grade",
        "middle",
        "--kind",
        "plan",
        "--format",
        "docx",
        "-o",
        str(out),
        "--school",
        "../../etc/passwd",
    )
    assert first.code == 0 and out.exists()
    again = run_cli("lesson", "traffic", "--grade", "middle", "--kind", "plan", "--format", "docx", "-o", str(out))
    assert again.code == 2 and "already exists: use --force" in again.err
    forced = run_cli(
        "lesson", "traffic", "--grade", "middle", "--kind", "plan", "--format", "docx", "-o", str(out), "--force"
    )
    assert forced.code == 0
    default = run_cli(
        "lesson", "traffic", "--grade", "high", "--kind", "poster", "--format", "html", "--school", "../evil"
    )
    assert default.code == 0 and Path("traffic-high-poster.html").exists()
    assert not Path("../evil").exists()


def test_cli_bad_choice_is_one_line(run_cli) -> None:
    result = run_cli("lesson", "drowning", "--grade", "phd", "--kind", "plan")
    assert result.code == 2
    assert result.err.strip() == "safebot: unknown grade 'phd': choose one of primary, middle, high"


def test_cli_markdown_goes_to_stdout(run_cli) -> None:
    result = run_cli("lesson", "mental_health", "--grade", "high", "--kind", "letter")
    assert result.code == 0 and result.out.startswith("# 致家长的一封信：心理健康与危机干预")
    assert "12356" in result.out and "沿此线剪下" in result.out


def test_cli_date_and_term(run_cli) -> None:
    result = run_cli(
        "lesson", "traffic", "--grade", "primary", "--kind", "pledge", "--date", "2027-03-01", "--term", "第二学期"
    )
    assert result.code == 0 and "2027年3月1日" in result.out
    bad = run_cli("lesson", "traffic", "--grade", "primary", "--kind", "pledge", "--date", "tomorrow")
    assert bad.code == 2 and "--date must be a date" in bad.err


# Lines the pledge and poster templates write themselves, the same for every topic.
TEMPLATE_LINES = ("先保护好自己，马上告诉家长、老师或身边的大人。",)
# Words that name what a scammer or a bully does: on a pledge or poster they appear only
# in a line that says not to do it.
HARMFUL = {
    "campus_surroundings": ("转账", "验证码", "屏幕共享", "扫", "红包", "刷单"),
    "violence": ("打人", "踢", "推搡", "外号", "要钱", "抢"),
    "drowning": ("下水", "游泳", "手拉手"),
}


def _bullets(markdown: str) -> list[str]:
    return [line[2:].strip() for line in markdown.splitlines() if line.startswith("- ")]


def _document_bullets(maker: LessonMaker, topic: str) -> set[str]:
    return {
        point
        for doc in maker.knowledge.documents
        if doc.meta.topic == topic
        for section in doc.sections
        for point in key_points(section.text, limit=50)
    }


@pytest.mark.parametrize("topic", TOPICS)
def test_pledge_and_poster_lines_are_commitments(maker: LessonMaker, topic: str) -> None:
    documents = _document_bullets(maker, topic)
    for grade in GRADES:
        commitments = maker.data.for_grade(topic, grade)
        for kind in ("pledge", "poster"):
            text = maker.markdown(LessonRequest(topic, grade, kind, date=DAY))
            items = set(maker.data.dangerous_items) if (kind, topic) == ("poster", "violence") else set()
            written = set(commitments.pledge if kind == "pledge" else commitments.poster)
            allowed = {*written, commitments.action, f"**{commitments.action}**", *TEMPLATE_LINES, *items}
            lines = [b for b in _bullets(text) if not b.startswith("记住求助电话：")]
            where = f"{topic} {grade} {kind}"
            for line in lines:
                assert line in allowed, f"{where}: '{line}' is not a commitment from pledges.yaml"
                if line not in written | {commitments.action, f"**{commitments.action}**"}:
                    assert line not in documents, f"{where}: '{line}' is a document's bullet"
                for word in HARMFUL.get(topic, ()):
                    if word in line and line not in items:
                        assert "不" in line, f"{where}: '{line}' names '{word}' without saying not to"
            assert "我会做到" not in text
            assert written <= set(lines), f"{where}: a commitment is missing"
            assert any(commitments.action in line for line in lines), f"{where}: no action line"


def test_fraud_and_bullying_pledges_no_longer_read_like_the_harm(maker: LessonMaker) -> None:
    fraud = maker.markdown(LessonRequest("campus_surroundings", "primary", "pledge", date=DAY))
    assert "打开“屏幕共享”" not in fraud and "一步步教你转账" not in fraud
    assert "不给任何人验证码" in fraud and "先挂断" in fraud
    poster = maker.markdown(LessonRequest("campus_surroundings", "middle", "poster", date=DAY))
    assert "先挂断" in poster and "96110" in poster, "the fraud poster says what to do"
    bullying = maker.markdown(LessonRequest("violence", "primary", "pledge", date=DAY))
    assert "打、踢、推搡" not in bullying and "告诉老师和家长" in bullying
    drowning = maker.markdown(LessonRequest("drowning", "high", "pledge", date=DAY))
    assert "未成年人一律不下水救人" in drowning


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_shipped_lesson_data_is_valid(maker: LessonMaker) -> None:
    assert lesson_problems(maker.knowledge) == []


def test_pledge_problems_name_file_and_line(knowledge_copy: Path) -> None:
    pledges = knowledge_copy / "lessons" / "pledges.yaml"
    text = pledges.read_text(encoding="utf-8")
    start, end = text.index("\ntraffic:\n"), text.index("\nmental_health:\n")
    pledges.write_text(text[:start] + text[end:], encoding="utf-8")
    _edit(pledges, "打{{hotline:police}}说清地点", "打{{hotline:polise}}说清地点")
    _edit(pledges, "未成年人一律不下水救人。\n  action", "会游泳的可以下水救人。\n  action")  # the poster's copy
    _edit(pledges, "based_on: [ph-student-zh]", "based_on: [ph-no-such-doc]")
    messages = [str(p) for p in lesson_problems(load_knowledge(knowledge_copy))]
    line_poster = _line_of(pledges, "会游泳的可以下水救人")
    expected = [
        "no pledge for topic 'traffic'",
        f"pledges.yaml:{_line_of(pledges, 'polise')}: drowning.action: unknown hotline key 'polise'",
        f"pledges.yaml:{line_poster}: drowning.poster.all: not a pledge line",
        f"pledges.yaml:{_line_of(pledges, 'ph-no-such-doc')}: public_health.based_on: no document 'ph-no-such-doc'",
    ]
    for fragment in expected:
        assert any(fragment in m for m in messages), (fragment, messages)
    with pytest.raises(KnowledgeError, match=r"pledges\.yaml:\d+: "):
        maker_for(knowledge_copy)


def test_kb_check_reports_a_missing_topic(knowledge_copy: Path, run_cli, monkeypatch) -> None:
    pledges = knowledge_copy / "lessons" / "pledges.yaml"
    text = pledges.read_text(encoding="utf-8")
    start = text.index("\nhome_holiday:\n")
    pledges.write_text(text[: start + 1], encoding="utf-8")
    _edit(knowledge_copy / "lessons" / "cases.yaml", "\ntraffic:", "\ntrafic:")
    monkeypatch.setenv("SAFEBOT_KNOWLEDGE_DIR", str(knowledge_copy))
    result = run_cli("kb", "check")
    assert result.code == 2
    assert re.search(r"pledges\.yaml:\d+: no pledge for topic 'home_holiday'", result.out), result.out
    assert re.search(r"cases\.yaml:\d+: unknown topic 'trafic'", result.out), result.out
    assert re.search(r"cases\.yaml:\d+: no case for topic 'traffic'", result.out), result.out


@pytest.mark.parametrize("school", ["阳光\b小学", "a\nb", "学" * 61])
def test_control_characters_and_overlong_names_are_refused(school: str) -> None:
    with pytest.raises(BadInputError):
        LessonRequest("drowning", "primary", "letter", school=school).validate()
