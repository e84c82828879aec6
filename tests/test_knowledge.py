"""The shipped knowledge is complete and valid, and every kind of broken file is
reported with its file and line."""

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.settings import REPO_KNOWLEDGE
from index.check import find_problems
from index.errors import KnowledgeError
from index.knowledge import load_knowledge
from index.text import normalize
from index.vocab import AUDIENCES, TOPICS


@pytest.fixture(scope="module")
def shipped():
    return load_knowledge(REPO_KNOWLEDGE)


def test_shipped_knowledge_has_no_errors(shipped) -> None:
    assert [str(p) for p in shipped.errors] == []
    assert len(shipped.documents) >= 45


def test_every_topic_and_audience_has_a_chinese_document(shipped) -> None:
    covered = {
        (d.meta.topic, a)
        for d in shipped.documents
        if d.meta.lang == "zh" and d.meta.kind == "guide"
        for a in d.meta.audiences
    }
    missing = [(t, a) for t in TOPICS for a in AUDIENCES if (t, a) not in covered]
    assert missing == []


def test_core_topics_have_english_documents_for_students_and_parents(shipped) -> None:
    covered = {(d.meta.topic, a) for d in shipped.documents if d.meta.lang == "en" for a in d.meta.audiences}
    for topic in ("drowning", "violence", "traffic", "mental_health"):
        assert (topic, "student") in covered and (topic, "parent") in covered, topic


@pytest.mark.parametrize(
    "card",
    [
        "card-drowning-rescue-zh",
        "card-after-rescue-zh",
        "card-knife-fight-zh",
        "card-suicide-zh",
        "card-fire-zh",
        "card-gas-zh",
        "card-stranger-zh",
        "card-fraud-call-zh",
    ],
)
def test_what_to_do_now_cards_exist(shipped, card: str) -> None:
    assert shipped.document(card).meta.kind == "card"


def test_hotlines_are_complete_and_12356_is_the_mental_health_line(shipped) -> None:
    numbers = {key: h.number for key, h in shipped.hotlines.items()}
    assert {"110", "119", "120", "122", "12356", "12355", "96110", "12315"} <= set(numbers.values())
    assert numbers["mental_health"] == "12356"
    assert shipped.hotlines["mental_health"].since == dt.date(2025, 5, 1)


def test_hotline_references_are_rendered_in_sections(shipped) -> None:
    text = "\n".join(s.text for s in shipped.document("card-suicide-zh").sections)
    assert "12356" in text and "{{hotline" not in text


def test_every_document_cites_a_source(shipped) -> None:
    assert all(d.meta.sources and d.meta.sources[0].issuer for d in shipped.documents)


def _write(knowledge: Path, name: str, text: str) -> Path:
    path = knowledge / "docs" / "drowning" / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """---
id: {id}
title: 测试文档
topic: drowning
audiences: [parent]
grades: [primary]
lang: zh
summary: 测试。
sources:
  - issuer: 教育部
    title: 测试来源
updated: 2026-11-30
{extra}---

## 测试小节
<!-- questions: [能自己去游泳吗, 孩子想下河怎么办, 暑假游泳要注意啥] -->
- 不私自下水游泳。
"""


def _errors(knowledge: Path) -> list[str]:
    return [str(p) for p in load_knowledge(knowledge).errors]


def _source_problems(knowledge: Path) -> list[str]:
    return [str(p) for p in find_problems(knowledge).errors if " source " in str(p)]


def test_every_shipped_source_has_an_address_and_a_date() -> None:
    assert _source_problems(REPO_KNOWLEDGE) == []


def test_a_source_without_address_or_date_is_reported_on_its_line(knowledge_copy: Path) -> None:
    text = GOOD.format(id="no-address", extra="").replace(
        "    title: 测试来源\n",
        "    title: 测试来源\n  - issuer: 教育部\n    title: 第二个来源\n    url: https://www.moe.gov.cn/\n"
        "    accessed: 2026-12-02\n",
    )
    _write(knowledge_copy, "no-address.md", text)
    problems = [p for p in _source_problems(knowledge_copy) if "no-address.md" in p]
    assert [p.split("no-address.md:", 1)[1] for p in problems] == [
        "10: source 1 has no address (url or doc_no)",
        "10: source 1 has no date (date or accessed)",
    ]


def test_a_hotline_source_without_address_or_date_is_reported_on_its_entry(knowledge_copy: Path) -> None:
    path = knowledge_copy / "hotlines.yaml"
    text = path.read_text(encoding="utf-8")
    fixed = "    - {issuer: 公安部, title: 110接处警工作规则, doc_no: 公通字〔2003〕31号, date: 2003-04-30}\n"
    assert fixed in text
    path.write_text(text.replace(fixed, "    - {issuer: 公安部, title: 110接处警工作规则}\n"), encoding="utf-8")
    problems = [p.split("hotlines.yaml:", 1)[1] for p in _source_problems(knowledge_copy) if "hotlines.yaml" in p]
    assert problems == [
        "4: hotline 'police' source 1 has no address (url or doc_no)",
        "4: hotline 'police' source 1 has no date (date or accessed)",
    ]


def test_broken_yaml_names_file_and_line(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "broken.md", "---\nid: broken\ntitle: [unclosed\n---\n\n## x\ntext\n")
    errors = _errors(knowledge_copy)
    assert any("broken.md:3:" in e and "invalid YAML" in e for e in errors), errors


def test_unknown_field_is_refused(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "extra-field.md", GOOD.format(id="extra-field", extra="audience: parent\n"))
    errors = _errors(knowledge_copy)
    assert any("extra-field.md:13: audience: unknown field" in e for e in errors), errors


def test_unknown_topic_and_missing_source_are_refused(knowledge_copy: Path) -> None:
    text = GOOD.format(id="bad-topic", extra="").replace("topic: drowning", "topic: cooking")
    text = text.replace("sources:\n  - issuer: 教育部\n    title: 测试来源\n", "sources: []\n")
    _write(knowledge_copy, "bad-topic.md", text)
    errors = " ".join(_errors(knowledge_copy))
    assert "bad-topic.md:4: topic" in errors and "bad-topic.md:9: sources" in errors


def test_duplicate_id_is_refused(knowledge_copy: Path) -> None:
    path = knowledge_copy / "docs" / "violence" / "drowning-parent-zh.md"
    path.write_text((knowledge_copy / "docs" / "drowning" / "drowning-parent-zh.md").read_text())
    assert any("duplicate id 'drowning-parent-zh'" in e for e in _errors(knowledge_copy))


def test_typed_out_phone_number_and_unknown_hotline_key_are_refused(knowledge_copy: Path) -> None:
    body = GOOD.format(id="numbers", extra="") + "- 打 12356 或 {{hotline:psychology}}。\n"
    _write(knowledge_copy, "numbers.md", body)
    errors = " ".join(_errors(knowledge_copy))
    assert "numbers.md:18: phone number '12356' written out" in errors
    assert "unknown hotline key 'psychology'" in errors


def test_measurements_are_not_mistaken_for_phone_numbers(knowledge_copy: Path) -> None:
    body = GOOD.format(id="sizes", extra="") + "- 刀刃超过150毫米，罚款12000元，2025年。\n"
    _write(knowledge_copy, "sizes.md", body)
    assert _errors(knowledge_copy) == []


def test_a_section_without_its_questions_is_refused(knowledge_copy: Path) -> None:
    body = GOOD.format(id="bare", extra="") + "\n## 没有问题的小节\n- 内容。\n"
    _write(knowledge_copy, "bare.md", body)
    assert any("section '没有问题的小节' has no <!-- questions" in e for e in _errors(knowledge_copy))


def test_a_section_of_a_document_with_several_sources_names_its_own(knowledge_copy: Path) -> None:
    two = "  - issuer: 教育部\n    title: 测试来源\n  - issuer: 应急管理部\n    title: 第二个来源\n"
    text = GOOD.format(id="two-sources", extra="").replace("  - issuer: 教育部\n    title: 测试来源\n", two)
    _write(knowledge_copy, "two-sources.md", text)
    assert any("two-sources.md:18: sources: the document has 2 sources" in e for e in _errors(knowledge_copy))
    named = text.replace("<!-- questions:", "<!--\nquestions:").replace("注意啥] -->", "注意啥]\nsources: [2]\n-->")
    _write(knowledge_copy, "two-sources.md", named)
    assert not [e for e in _errors(knowledge_copy) if "two-sources.md" in e]


def test_related_ids_must_exist(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "rel.md", GOOD.format(id="rel", extra="related: [no-such-doc]\n"))
    assert any("rel.md:13: related id 'no-such-doc' does not exist" in e for e in _errors(knowledge_copy))


def test_expired_document_is_a_warning_not_an_error(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "old.md", GOOD.format(id="old", extra="expires: 2020-01-01\n"))
    knowledge = load_knowledge(knowledge_copy)
    assert knowledge.errors == []
    assert any("expired on 2020-01-01" in str(p) and not p.fatal for p in knowledge.problems)


def test_file_name_must_match_id(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "other-name.md", GOOD.format(id="real-name", extra=""))
    assert any("other-name.md:2: file name must be real-name.md" in e for e in _errors(knowledge_copy))


def test_non_utf8_file_is_reported(knowledge_copy: Path) -> None:
    (knowledge_copy / "docs" / "drowning" / "latin1.md").write_bytes("---\nid: é\n".encode("latin-1"))
    assert any("latin1.md:1: not UTF-8" in e for e in _errors(knowledge_copy))


def test_missing_knowledge_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="does not exist"):
        load_knowledge(tmp_path / "nowhere")


def test_require_valid_raises_with_first_problem(knowledge_copy: Path) -> None:
    _write(knowledge_copy, "broken.md", "no front matter\n")
    with pytest.raises(KnowledgeError, match=r"broken\.md:1: front matter must start"):
        load_knowledge(knowledge_copy).require_valid()


def test_impossible_date_is_reported_not_a_crash(knowledge_copy: Path) -> None:
    text = GOOD.format(id="baddate", extra="").replace("updated: 2026-11-30", "updated: 2026-13-01")
    _write(knowledge_copy, "baddate.md", text)
    assert any("baddate.md:2: invalid value" in e for e in _errors(knowledge_copy))


@pytest.mark.parametrize("key", ["not_held", "not_safety"])
def test_a_bad_request_pattern_is_reported_with_its_line(knowledge_copy: Path, key: str) -> None:
    scope = knowledge_copy / "scope.yaml"
    text = scope.read_text(encoding="utf-8").replace(f"{key}:\n", f"{key}:\n  - 哪个牌子(\n", 1)
    scope.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - 哪个牌子(") + 1
    errors = _errors(knowledge_copy)
    assert any(f"scope.yaml:{line}: {key}: bad pattern" in e for e in errors), errors


@pytest.mark.parametrize("key", ["not_held", "not_safety"])
def test_no_authored_question_reads_as_a_request_we_turn_away(key: str) -> None:
    """The not-held patterns (brands, prices, sign-ups, opening hours, what is in my town)
    and the not-safety ones (write my essay, solve this problem) must never match a
    question a section says it answers: those would be turned away."""
    knowledge = load_knowledge(REPO_KNOWLEDGE)
    patterns = [re.compile(p, re.IGNORECASE) for p in getattr(knowledge, key)]
    assert patterns
    asked = [q for d in knowledge.documents for s in d.sections for q in s.questions]
    assert len(asked) > 3000
    assert [q for q in asked if any(p.search(normalize(q)) for p in patterns)] == []


@pytest.mark.parametrize(
    "request_",
    [
        "最近哪个手机性价比高",
        "儿童安全座椅哪个牌子好",
        "游泳课多少钱",
        "which brand of helmet is best",
        "去哪里报名",
        # a dose is the leaflet's or the doctor's to give
        "6岁发烧39度 美林喂几毫升",
        "how many mg of paracetamol for a 30kg kid",
    ],
)
def test_requests_for_what_we_do_not_hold_are_recognised(request_: str) -> None:
    knowledge = load_knowledge(REPO_KNOWLEDGE)
    assert any(re.search(p, normalize(request_), re.IGNORECASE) for p in knowledge.not_held)


@pytest.mark.parametrize(
    ("message", "turned_away"),
    [
        ("can you write me an essay about water safety", True),
        ("write a short story about a brave firefighter", True),
        ("帮我写一篇防溺水的作文", True),
        # an essay to write is no request to us: the question after it is
        ("we have to write an essay on the warning signs of suicide. what are they?", False),
    ],
)
def test_a_request_to_write_is_turned_away_and_a_question_for_an_essay_is_not(message: str, turned_away: bool) -> None:
    knowledge = load_knowledge(REPO_KNOWLEDGE)
    assert any(re.search(p, normalize(message), re.IGNORECASE) for p in knowledge.not_safety) is turned_away


def test_a_bad_contrary_pattern_is_reported_with_its_line(knowledge_copy: Path) -> None:
    scope = knowledge_copy / "scope.yaml"
    text = scope.read_text(encoding="utf-8").replace("contrary:\n", "contrary:\n  - {asks: 没呼吸(, not: 有呼吸}\n", 1)
    scope.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  - {asks: 没呼吸(, not: 有呼吸}") + 1
    assert any(f"scope.yaml:{line}: contrary: bad pattern" in e for e in _errors(knowledge_copy))


def test_a_contrary_entry_without_both_sides_is_reported(knowledge_copy: Path) -> None:
    scope = knowledge_copy / "scope.yaml"
    scope.write_text(scope.read_text(encoding="utf-8").replace("contrary:\n", "contrary:\n  - {asks: 没呼吸}\n", 1))
    assert any("scope.yaml:1: expected" in e and "contrary" in e for e in _errors(knowledge_copy))


def test_each_contrary_pair_names_headings_in_one_state_only() -> None:
    """Every `not` side removes some real heading (else it is dead data), and no heading
    is in both states at once (it would be removed for the question it answers)."""
    knowledge = load_knowledge(REPO_KNOWLEDGE)
    headings = [s.heading for d in knowledge.documents for s in d.sections]
    assert knowledge.contrary
    for asks, not_ in knowledge.contrary:
        a, n = re.compile(asks, re.IGNORECASE), re.compile(not_, re.IGNORECASE)
        assert any(n.search(h) for h in headings), not_
        assert [h for h in headings if n.search(h) and a.search(normalize(h))] == []
    assert re.search(knowledge.contrary[0][0], "孩子溺水救上来没呼吸怎么办")
    assert not re.search(knowledge.contrary[0][1], "人救上岸后：不要控水，先看有没有呼吸")
