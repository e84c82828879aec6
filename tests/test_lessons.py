"""Lesson material: every kind in every format for every topic and grade renders; the
Word file has real headings and the reply slip; HTML escapes what teachers type; bad
choices list the valid ones; nothing is overwritten without --force."""

import datetime as dt
import io
from html.parser import HTMLParser
from pathlib import Path

import pytest
from docx import Document as Docx

from bot.lessons import FORMATS, GRADES, KINDS, LessonMaker, LessonRequest
from bot.settings import REPO_KNOWLEDGE
from index.errors import BadInputError, KnowledgeError
from index.knowledge import load_knowledge
from index.quizzes import load_quizzes
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
    for part in ("教学目标", "课时与准备", "导入", "案例讨论", "安全要点", "情景演练", "知识小测", "参考答案", "小结",
                 "家庭任务", "资料来源"):
        assert part in text, part
    assert "40分钟" in text and "2026—2027学年第一学期" in text


def test_letter_docx_has_headings_and_reply_slip(maker: LessonMaker) -> None:
    data = maker.render(LessonRequest("drowning", "primary", "letter", school="阳光小学", class_name="三(2)班",
                                      date=DAY), "docx")
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
    html = maker.render(LessonRequest("violence", "high", "letter", school=school, class_name="<b>高一</b>",
                                      date=DAY), "html").decode()
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
    template.write_text(template.read_text(encoding="utf-8").replace("{{ date }}", "{{ no_such_value }}"),
                        encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"pledge\.md\.j2:\d+: 'no_such_value' is undefined"):
        maker_for(knowledge_copy).markdown(LessonRequest("drowning", "primary", "pledge"))
    template.write_text("{% for x in %}\n", encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"pledge\.md\.j2:1:"):
        maker_for(knowledge_copy).markdown(LessonRequest("drowning", "primary", "pledge"))


def test_cli_writes_files_and_refuses_to_overwrite(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "plan.docx"
    first = run_cli("lesson", "traffic", "--grade", "middle", "--kind", "plan", "--format", "docx", "-o", str(out),
                    "--school", "../../etc/passwd")
    assert first.code == 0 and out.exists()
    again = run_cli("lesson", "traffic", "--grade", "middle", "--kind", "plan", "--format", "docx", "-o", str(out))
    assert again.code == 2 and "already exists: use --force" in again.err
    forced = run_cli("lesson", "traffic", "--grade", "middle", "--kind", "plan", "--format", "docx", "-o", str(out),
                     "--force")
    assert forced.code == 0
    default = run_cli("lesson", "traffic", "--grade", "high", "--kind", "poster", "--format", "html",
                      "--school", "../evil")
    assert default.code == 0 and Path("traffic-high-poster.html").exists()
    assert not Path("../evil").exists()


def test_cli_bad_choice_is_one_line(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("lesson", "drowning", "--grade", "phd", "--kind", "plan")
    assert result.code == 2
    assert result.err.strip() == "safebot: unknown grade 'phd': choose one of primary, middle, high"


def test_cli_markdown_goes_to_stdout(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("lesson", "mental_health", "--grade", "high", "--kind", "letter")
    assert result.code == 0 and result.out.startswith("# 致家长的一封信：心理健康与危机干预")
    assert "12356" in result.out and "沿此线剪下" in result.out


def test_cli_date_and_term(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli("lesson", "traffic", "--grade", "primary", "--kind", "pledge", "--date", "2027-03-01",
                     "--term", "第二学期")
    assert result.code == 0 and "2027年3月1日" in result.out
    bad = run_cli("lesson", "traffic", "--grade", "primary", "--kind", "pledge", "--date", "tomorrow")
    assert bad.code == 2 and "--date must be a date" in bad.err
