"""The pieces that shape a reply without the model: who is asking, follow-ups and
their memory, two questions in one message, a section whole within one screen, and
the locale note for English readers."""

from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.engine.answering.answer import SCREEN, locale_note, render_section
from bot.engine.answering.asker import who_is_asking
from bot.engine.answering.assistant import Answer, Assistant
from bot.engine.answering.followup import KEEP_SECONDS, Turns, is_follow_up, situation
from bot.engine.answering.two_part import question_parts
from bot.engine.triage import Verdict
from index.knowledge import load_knowledge
from index.search import SearchResult
from index.text import key_points

KNOWLEDGE = load_knowledge(Path(__file__).resolve().parent.parent / "knowledge")


@pytest.mark.parametrize(
    ("question", "asker"),
    [
        ("我儿子非要去河里游泳怎么办", "parent"),
        ("我家娃最近总说活着没意思", "parent"),
        ("My daughter says she is bullied at school", "parent"),
        ("儿子偷偷拿刀片划胳膊 我该怎么办", "parent"),  # no "我", still a parent
        ("孩子最近总穿长袖 是不是在自残", "parent"),
        ("我发现女儿胳膊上有好多划痕", "parent"),
        ("我今天看到儿子在网上搜怎么死", "parent"),
        ("在女儿手腕上发现好几道划痕 她说是猫抓的", "parent"),  # only a parent speaks of a daughter's wrist
        ("怎么跟孩子聊自杀这个话题", "parent"),
        ("怎么判断孩子有没有自杀的念头", "parent"),
        ("My 14yo son told me tonight he has a plan", "parent"),
        ("my 12-year-old daughter keeps crying", "parent"),
        ("i'm 15 and my 2 year old brother is choking", "student"),
        ("我们班有个学生说不想活了", "teacher"),
        ("班里一个学生给我看了她手上的伤", "teacher"),
        ("有个学生跟我说他被继父打", "teacher"),
        ("班上有个男生最近老被几个同学起外号 找家长谈之前我应该先做点啥", "teacher"),
        ("班上有个男生老是欺负我 我不敢告诉老师", "student"),
        ("one of my students told me her stepfather touches her", "teacher"),
        ("学生周记里写了些丧气话 我该先找她谈还是直接通知家长", "teacher"),
        ("学生作文里写她觉得活着很累", "teacher"),
        ("我被同学打了 老师说要联系家长", "student"),
        ("我妈不让我去游泳 可同学都去", "student"),
        ("my mom hits me when she is drunk", "student"),
        ("dad locked me outside again and it's snowing", "student"),
        ("爸爸又把我锁在门外了 外面好冷", "student"),
        ("我被继父性侵了", "student"),  # the victim speaks, whatever the profile
        ("这件事我不敢告诉妈妈", "student"),
        ("I was bullied again today and nobody helps", "student"),
        ("我被骗了怎么办", None),
        ("萝卜刀算管制刀具吗", None),
        ("有个孩子掉水里了", None),  # a witness, not a parent
        ("妈妈让我跟孩子们一起玩", None),  # "孩子们" is other children, not the writer's child
        ("我不想活了", None),  # the writer's own crisis never reads as an adult's
    ],
)
def test_who_is_asking_is_read_from_the_question(question: str, asker: str | None) -> None:
    assert who_is_asking(question) == asker


@pytest.mark.parametrize(
    ("message", "follows"),
    [
        ("那如果是在游泳馆呢", True),
        ("初中生呢", True),
        ("what about at the beach?", True),
        ("And if he is only 5?", True),
        ("那个萝卜刀算管制刀具吗", False),
        ("孩子不想上学怎么办呢", False),
        ("孩子发烧了怎么办", False),
        # a short message about "he", "she", "this" or "that" only: the previous question names them
        ("她说不疼 还要去打针吗", True),
        ("这钱还能要回来吗", True),
        ("he's 7 and says he can walk alone, is that too young?", True),
        ("it was just a scratch though, does that count?", True),
        ("ok she's sitting up now", True),
        # what the last answer's steps did not do: "it" is the nosebleed, not a burn
        ("what if it still wont stop after like 20 min", True),
        ("如果还是止不住呢 都按了二十分钟了", True),
        ("还没好怎么办", True),
        ("what if a stranger offers my son a ride home", False),
        ("这个萝卜刀算管制刀具吗", False),
        ("他们班有个同学天天被人起外号 被推搡 老师也不管 家长该去找校长还是直接找教育局", False),
        ("The school sent a letter about swimming, what should we do", False),
    ],
)
def test_follow_ups_are_recognised_by_their_shape(message: str, follows: bool) -> None:
    assert is_follow_up(message) is follows


@pytest.mark.parametrize(
    ("heading", "said"),
    [
        ("电动车带孩子：以当地规定为准，大人孩子都戴头盔", "电动车带孩子"),
        ("Caught in a rip current: don't swim against it", "Caught in a rip current"),
        ("Wave pools and splash areas", "Wave pools and splash areas"),
    ],
)
def test_a_follow_up_is_searched_with_the_situation_a_heading_names(heading: str, said: str) -> None:
    assert situation(heading) == said


def test_a_turn_is_forgotten_after_a_few_minutes_and_by_forget() -> None:
    now = [1000.0]
    turns = Turns(clock=lambda: now[0])
    turns.remember(1, "drowning-parent-zh", "四知道", "parent")
    turns.remember(2, "drowning-parent-zh", "四知道", "parent")
    recalled = turns.recall(1)
    assert recalled is not None and recalled.doc_id == "drowning-parent-zh"
    turns.forget(2)
    assert turns.recall(2) is None
    now[0] += KEEP_SECONDS + 1
    assert turns.recall(1) is None


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        ("溺水怎么预防 掉水里了又怎么自救", 2),
        ("萝卜刀算管制刀具吗？学校能没收吗？", 2),
        ("How do I prevent drowning and also what do I do if my child falls in?", 2),
        ("中暑了怎么办 怎么预防中暑", 2),
        ("手足口病会传染吗？孩子多久能回学校？", 2),
        ("我儿子12岁。暑假想去河里游泳怎么办", 1),
        ("有个小孩掉下去了到现在没冒头 我现在该干嘛", 1),
        ("孩子被生锈的铁钉扎了要打破伤风吗，伤口要怎么洗", 2),
        ("我儿子12岁，暑假想去河里游泳怎么办", 1),
        ("班上好几个人起外号孤立我 我该告诉谁", 1),  # "好几个" asks nothing
        ("how old must he be to ride an e-bike here, and does he need a helmet?", 2),
        ("my son and his friend want to swim in the river, is that safe?", 1),
        # the child's question, reported, is the scene of the parent's own
        ("女儿老问我人死了会去哪儿 她外公上个月走了 我该怎么说", 1),
        ("请问溺水怎么救 还有被狗咬了要打针吗", 2),
    ],
)
def test_two_questions_in_one_message_are_split_and_one_is_not(message: str, parts: int) -> None:
    lang = "en" if message.isascii() else "zh"
    assert len(question_parts(message, lang)) == parts


def test_a_clause_that_asks_nothing_is_context_for_the_question_after_it() -> None:
    parts = question_parts("孩子被同学打了头还流血 现在先怎么处理 然后学校要不要负责赔钱", "zh")
    assert parts == ["孩子被同学打了头还流血 现在先怎么处理", "然后学校要不要负责赔钱"]


def test_key_points_keep_the_lead_sentence_before_the_list() -> None:
    points = key_points("家长要做到四知道：\n\n- 知去向\n- 知同伴\n")
    assert points == ["家长要做到四知道：", "知去向", "知同伴"]


def test_a_section_is_whole_with_its_heading_and_own_source() -> None:
    doc = KNOWLEDGE.document("drowning-parent-zh")
    section = doc.sections[0]
    reply = render_section(doc, section, "zh")
    assert reply.startswith(section.heading)
    assert all(point in reply for point in key_points(section.text))
    assert reply.endswith(doc.source_of(section).cite())


def test_a_long_section_stops_at_a_whole_point_within_the_screen() -> None:
    longest = max(
        ((d, s) for d in KNOWLEDGE.documents if d.meta.lang == "en" for s in d.sections),
        key=lambda ds: len(ds[1].text),
    )
    doc, section = longest
    reply = render_section(doc, section, "en", SCREEN["en"])
    assert len(reply) <= SCREEN["en"]
    assert "Read more" in reply, "the section is longer than a screen: the rest is one tap away"
    body = reply.splitlines()[1:-1]
    points = key_points(section.text)
    for line in body[:-1]:
        assert line.removeprefix("• ") in points, "never a point cut in the middle"


def test_the_locale_note_names_numbers_for_elsewhere() -> None:
    note = locale_note(KNOWLEDGE.hotlines)
    assert "mainland China" in note and "911" in note and "988" in note


def test_a_follow_up_is_read_with_the_card_when_the_card_alone_answered() -> None:
    result = SearchResult("溺水的人没呼吸了怎么救", [], True, False, 0.1)
    card = ("card-after-rescue-zh", "人救上岸后")
    alone = Answer(result.query, Verdict("emergency"), result, "…", "zh", (), "parent", "answer", card)
    assert alone.kept == card
    both = Answer(result.query, Verdict("emergency"), result, "…", "zh", (("fa-cpr-zh", "按压"),), None, "answer", card)
    assert both.kept == ("fa-cpr-zh", "按压")


def test_only_a_close_runner_up_is_named() -> None:
    def hit(doc: str, section: str, score: float) -> SimpleNamespace:
        return SimpleNamespace(chunk=SimpleNamespace(doc_id=doc, section=section), score=score)

    keys = [("a", "1"), ("b", "2")]
    close = SimpleNamespace(hits=[hit("a", "1", 0.050), hit("b", "2", 0.046)])
    far = SimpleNamespace(hits=[hit("a", "1", 0.050), hit("b", "2", 0.030)])
    assert Assistant._runner_up(close, keys, [("a", "1")], {None}) == ("b", "2")  # type: ignore[arg-type]
    assert Assistant._runner_up(far, keys, [("a", "1")], {None}) is None  # type: ignore[arg-type]
    assert Assistant._runner_up(close, keys, [("a", "1")], {("b", "2")}) is None  # type: ignore[arg-type]
