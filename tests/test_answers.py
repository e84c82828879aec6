"""Replies judged as a parent would (issue 11), through the real model and index: the
section whole, follow-ups read with the previous topic, two questions answered, the
adult's card for an adult, honest when unsure, the doctor for health, the locale note,
"📖 Read more" showing content, and the JSON fields."""

import datetime as dt
from pathlib import Path

import pytest

from bot.engine.answering.followup import Turn
from bot.engine.router import Dialogue, Incoming, Reply
from bot.store import open_store
from index import Preferences

CHAT = 77


@pytest.fixture
def dialogue(real_assistant, tmp_path: Path):
    store = open_store(f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    yield Dialogue(real_assistant, store)
    store.close()


def datas(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


def ask(dialogue: Dialogue, message: str) -> Reply:
    [reply] = dialogue.handle(Incoming(CHAT, message))
    return reply


def test_a_follow_up_is_read_with_the_previous_topic_and_never_repeats_it(dialogue: Dialogue) -> None:
    first = ask(dialogue, "夏天带孩子去河里游泳安全吗")
    second = ask(dialogue, "那如果是在游泳馆呢")
    assert second.text != first.text
    assert "游泳馆" in second.text and "救生员" in second.text
    alone = dialogue.assistant.answer("那如果是在游泳馆呢", Preferences(audience="parent"))
    assert alone.reply != second.text or "游泳馆" in alone.reply


def test_a_follow_up_told_only_through_a_pronoun_keeps_the_previous_situation(real_assistant) -> None:
    """ "it's a baby, 8 months" alone read to the classifier as a missing child; after a
    choking question it is the choking card, with the baby's steps."""
    prefs = Preferences(audience="parent")
    first = real_assistant.answer("what to do if a child is choking", prefs)
    assert first.kept is not None
    answer = real_assistant.answer("it's a baby, 8 months", prefs, previous=Turn(*first.kept, "parent", 0.0))
    assert answer.card is not None and answer.card[0] == "card-choking-en"
    assert "5 blows between the shoulder blades" in answer.reply and "missing" not in answer.reply.lower()


def test_two_questions_get_two_sections(real_assistant) -> None:
    answer = real_assistant.answer("溺水怎么预防？掉水里了又怎么自救？", Preferences(audience="student"))
    assert len(answer.sections) == 2
    assert "漂浮" in answer.reply or "仰" in answer.reply


def test_an_adult_who_heard_a_disclosure_is_told_to_report(real_assistant) -> None:
    answer = real_assistant.answer(
        "我是班主任，一个学生跟我说她被继父性侵了，我该怎么办", Preferences(audience="parent")
    )
    assert answer.audience == "teacher"
    assert "报告" in answer.reply and "110" in answer.reply
    assert not answer.reply.startswith("谢谢你告诉我，这不是你的错"), "words for the victim, not the teacher"


def test_a_disclosure_the_question_does_not_place_speaks_to_the_adult_the_profile_names(real_assistant) -> None:
    message = "学生下课跑来说 班里几个人天天逼她交钱 不给就堵在厕所打"
    teacher = real_assistant.answer(message, Preferences(audience="teacher"))
    assert teacher.verdict.label == "disclosure" and teacher.audience == "teacher"
    assert not teacher.reply.startswith("谢谢你告诉我"), "words for the victim, not the teacher"
    student = real_assistant.answer(message, Preferences(audience="student"))
    assert student.reply.startswith("谢谢你告诉我")


def test_a_parent_of_a_bullied_child_gets_guidance_not_the_victims_words(real_assistant) -> None:
    answer = real_assistant.answer("我儿子在学校被同学欺负了，我作为家长该怎么办", Preferences(audience="student"))
    assert answer.audience == "parent"
    assert not answer.reply.startswith("谢谢你告诉我")
    assert answer.sections and answer.sections[0][0].startswith("violence-parent")


def test_a_parent_worried_about_a_suicidal_child_gets_the_adults_card_then_guidance(real_assistant) -> None:
    answer = real_assistant.answer("我女儿说活着没意思想死，我该怎么跟她谈", Preferences(audience="parent"))
    assert answer.verdict.label == "crisis"
    assert answer.card is not None and answer.card[0] == "card-self-harm-adult-zh"
    assert "12356" in answer.reply


def test_a_worried_parent_gets_the_cards_section_nearest_the_message_not_its_first(real_assistant) -> None:
    """Search ranks guides for "总说活着没意思", not the card: the card's section is the
    one nearest the message (ask calmly and directly), not its first (a child on a roof)."""
    answer = real_assistant.answer("儿子总说活着没意思 我该不该担心", Preferences(audience="parent"))
    card = real_assistant.knowledge.document("card-self-harm-adult-zh")
    assert answer.card is not None and answer.card[0] == card.meta.id
    assert answer.card[1] != card.sections[0].heading and answer.card[1].startswith("怀疑孩子想自杀")
    assert all(n in answer.reply for n in ("12356", "110"))


@pytest.mark.parametrize(
    ("message", "lang"),
    [("我女儿站在阳台上说要跳下去", "zh"), ("my son is up on the roof of our building saying he will jump", "en")],
)
def test_a_parent_whose_child_is_about_to_jump_gets_the_danger_now_section_and_nothing_off_topic(
    real_assistant, message: str, lang: str
) -> None:
    answer = real_assistant.answer(message, Preferences(audience="parent"))
    assert answer.verdict.label == "crisis"
    assert answer.card is not None and answer.card[0] == f"card-self-harm-adult-{lang}"
    assert answer.card[1].startswith(("孩子站在楼顶", "Your child is on a roof"))
    assert all(number in answer.reply for number in ("110", "120", "12356"))
    assert all(real_assistant.knowledge.document(d).meta.topic == "mental_health" for d, _ in answer.sections)


def test_a_parent_who_found_cuts_gets_the_adults_card_then_the_self_harm_guide(real_assistant) -> None:
    answer = real_assistant.answer("我发现女儿胳膊上有好多划痕 问她就说是不小心刮的", Preferences(audience="parent"))
    assert answer.verdict.label == "crisis" and answer.audience == "parent"
    assert answer.card is not None and answer.card[0] == "card-self-harm-adult-zh"
    assert answer.sections and answer.sections[0][0] == "mh-self-harm-zh"


def test_a_childs_own_crisis_keeps_its_card_alone(real_assistant) -> None:
    answer = real_assistant.answer("我不想活了", Preferences(audience="student"))
    assert answer.verdict.label == "crisis" and answer.sections == ()
    assert "12356" in answer.reply


def test_out_of_scope_gets_one_polite_line(dialogue: Dialogue) -> None:
    reply = ask(dialogue, "红烧肉怎么做才好吃")
    assert "范围" in reply.text and len(reply.text) < 200
    assert any(d.startswith("topic:") for d in datas(reply))


@pytest.mark.parametrize(
    "question",
    [
        "学费交了以后有人打电话说退费 要我提供银行卡",
        "开学季 校门口总有人发传单推销校园贷",
        "学校放学后孩子总是晚回家一个小时 问也不说",
    ],
)
def test_a_safety_question_in_school_words_is_not_turned_away(real_assistant, question: str) -> None:
    """School words (学费, 开学, 放学) are no sign of an off-topic question: the
    out-of-scope descriptions name school dates, not school matters."""
    answer = real_assistant.answer(question, Preferences(audience="parent"))
    assert answer.scope != "out_of_scope" and answer.sections


def test_laughter_is_no_death_and_phone_habits_stay_a_safety_question(real_assistant) -> None:
    """ "笑死我了" is a joke, not a death: no card, no section passed off as an answer
    (its word 死 drew the suicide card). A child glued to short videos is still ours."""
    joke = real_assistant.answer("笑死我了 这个视频太搞笑了", Preferences(audience="student"))
    assert joke.card is None and not joke.confident
    habit = real_assistant.answer("孩子天天刷短视频停不下来怎么办", Preferences(audience="parent"))
    assert habit.confident and habit.sections


def test_a_guess_is_never_an_urgent_card(real_assistant) -> None:
    """Unsure and not urgent: the nearest section offered as a guess is a guide, never
    a card for a danger now ("a murder-mystery party game" drew "your friend took pills")."""
    question = "my friend and i are doing a murder mystery party game at the weekend, any ideas for the plot"
    answer = real_assistant.answer(question, Preferences(audience="student"))
    assert answer.verdict.label == "none" and answer.card is None
    assert all(real_assistant.knowledge.document(d).meta.kind != "card" for d, _ in answer.sections)


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        ("帮我写一篇写景的作文 八百字 后天交", "不能代写"),
        ("write me a short story about a dragon for class", "can't write"),
    ],
)
def test_homework_and_writing_requests_get_one_line_not_a_safety_section(
    dialogue: Dialogue, request_: str, says: str
) -> None:
    answer = dialogue.assistant.answer(request_, Preferences(audience="student"))
    assert answer.scope == "out_of_scope" and not answer.sections and answer.card is None
    assert says in answer.reply and len(answer.reply) < 200


def test_unsure_shows_the_nearest_section_under_a_line_that_says_so(dialogue: Dialogue) -> None:
    """Not sure but on topic: the nearest section is shown, said plainly to be only the
    closest, with the numbers for danger now and the next nearest to tap."""
    question = "we got a paddling pool for the backyard, my twins are 3, tips?"
    answer = dialogue.assistant.answer(question, Preferences(audience="parent"))
    assert answer.scope == "unsure" and not answer.confident
    assert answer.reply.startswith("I'm not sure the part below answers your question")
    nearest = answer.result.hits[0].chunk
    assert answer.sections == ((nearest.doc_id, nearest.section),) and nearest.section in answer.reply
    assert all(n in answer.reply for n in ("110", "120", "12356")) and "mainland China" in answer.reply
    reply = ask(dialogue, question)
    assert sum(d.startswith("sec:") for d in datas(reply)) >= 2 and "hotlines" in datas(reply)


def test_a_health_question_is_told_to_see_a_doctor(real_assistant) -> None:
    answer = real_assistant.answer("孩子发烧吃了退烧药不烧了，明天能去上学吗", Preferences(audience="parent"))
    assert answer.confident and "医生" in answer.reply


def test_english_replies_say_the_numbers_are_for_mainland_china(real_assistant) -> None:
    answer = real_assistant.answer("What should I do if I smell gas at home?")
    assert "119" in answer.reply or "120" in answer.reply
    assert answer.reply.count("mainland China") >= 1 and "911" in answer.reply


def test_read_more_shows_the_whole_document_not_a_table_of_contents(dialogue: Dialogue) -> None:
    answer = ask(dialogue, "孩子非要去河里游泳怎么劝")
    more = next(d for d in datas(answer) if d.startswith("full:"))
    replies = dialogue.handle(Incoming(CHAT, button=more))
    doc = dialogue.assistant.knowledge.document(more.removeprefix("full:"))
    shown = "\n".join(r.text for r in replies)
    for section in doc.sections:
        assert section.heading in shown
    assert len(shown) > sum(len(s.heading) for s in doc.sections) * 2, "content, not headings"
    assert all(len(r.text) <= 4000 for r in replies)


def test_json_names_the_section_and_the_audience_used(real_assistant) -> None:
    data = real_assistant.answer("我儿子想去水库游泳", Preferences(audience="teacher")).to_json()
    assert data["audience_used"] == "parent"
    section = data["section"]
    assert isinstance(section, dict) and section["doc_id"] and section["heading"]
    assert data["confident"] is True


def test_a_reply_led_by_a_card_alone_still_gets_its_buttons(dialogue: Dialogue) -> None:
    replies = dialogue.handle(Incoming(CHAT, "班主任发现学生笔袋里藏刀片，应该怎么处理"))
    assert replies and replies[0].text
    assert any(d == "hotlines" or d.startswith(("full:", "doc:")) for r in replies for d in datas(r))


def test_no_other_situations_card_follows_a_card(real_assistant) -> None:
    """A fire scene that search ranks closest to the gas card's "someone collapsed"
    section leads with the fire card, and no card its authors did not link to it follows
    (it once went on about a gas leak, before that about choking)."""
    answer = real_assistant.answer("邻居家厨房冒黑烟 里面有小孩在哭", Preferences(audience="parent"))
    knowledge = real_assistant.knowledge
    assert answer.card and answer.card[0] == "card-fire-zh" and answer.confident
    assert answer.result.hits[0].chunk.doc_id != "card-fire-zh"  # the case this guards
    for doc_id, _ in answer.sections:
        assert knowledge.document(doc_id).meta.kind != "card" or knowledge.related("card-fire-zh", doc_id)


def test_a_card_ranked_low_is_followed_by_a_guide_never_by_an_unlinked_card(real_assistant) -> None:
    """When search ranks another situation's card above every guide and the reply's own
    card low, the section under the card is the guide: a fire scene must not go on
    about a gas leak. Search results are set up from real chunks, so the case cannot
    drift away with the model."""
    from index.search import Hit, SearchResult

    knowledge = real_assistant.knowledge
    fire, gas = knowledge.document("card-fire-zh"), knowledge.document("card-gas-zh")
    assert not knowledge.related(fire.meta.id, gas.meta.id)  # the case this guards
    chunks = {(c.doc_id, c.section): c for c in real_assistant.index.chunks}
    guide = next(k for k in chunks if k[0] == "hh-fire-zh")
    ranked = [(gas.meta.id, gas.sections[0].heading), guide, *[k for k in chunks if k[0] == "hh-electric-zh"][:2]]
    ranked.append((fire.meta.id, fire.sections[0].heading))
    hits = [Hit(chunks[k], 1.0 / (i + 1), i, i, 0.9) for i, k in enumerate(ranked)]
    result = SearchResult("邻居家冒烟了", hits, True, False, 0.1, 0.95)
    card = (fire.meta.id, fire.sections[0].heading)
    chosen, related, card_first = real_assistant._sections(
        "邻居家冒烟了", result, "zh", Preferences(audience="parent"), dt.date.today(), set(), card
    )
    assert chosen == [guide] and not card_first
    assert related is None or knowledge.document(related[0]).meta.kind != "card"


@pytest.mark.parametrize(
    ("question", "breathing"),
    [
        ("孩子溺水救上来没呼吸怎么办", "有呼吸"),
        ("my son is not breathing and won't wake up", "but breathing"),  # search ranks "Unconscious but breathing"
    ],
)
def test_not_breathing_is_never_answered_by_a_section_for_someone_breathing(
    real_assistant, question: str, breathing: str
) -> None:
    """Embeddings read "没呼吸" and "有呼吸但叫不醒" as one thing; CPR and the recovery
    position are opposite first aid (knowledge/scope.yaml `contrary`)."""
    answer = real_assistant.answer(question, Preferences(audience="parent"))
    shown = [h for _, h in ([answer.card] if answer.card else []) + list(answer.sections)]
    assert shown and answer.confident
    assert [h for h in shown if breathing in h.replace("没有呼吸", "")] == []
    assert [h.chunk.section for h in answer.result.hits if breathing in h.chunk.section.replace("没有呼吸", "")] == []


@pytest.mark.parametrize(
    "question",
    ["儿子昨晚和他爸吵架后离家出走了 电话关机 找了一晚上没找到", "my daughter hasn't come home and we can't find her"],
)
def test_a_child_still_missing_is_never_answered_with_what_to_do_once_found(real_assistant, question: str) -> None:
    answer = real_assistant.answer(question, Preferences(audience="parent"))
    shown = [h for _, h in ([answer.card] if answer.card else []) + list(answer.sections)]
    assert shown and not [h for h in shown if h.startswith(("找到孩子以后", "When the child is found"))]
    assert "110" in answer.reply


@pytest.mark.parametrize(
    ("question", "never"),
    [
        ("孩子在学校被同学欺负了 我该怎么办", "自己的孩子欺负了别人"),
        ("the school says my son bullies other kids, what do we do", "Your child is being bullied"),
        ("孩子在外面玩 有陌生人要把他带走 孩子应该怎么做", "孩子不见了"),
    ],
)
def test_a_question_in_one_state_is_never_answered_for_the_other(real_assistant, question: str, never: str) -> None:
    """A bullied child's parent never reads what to do when one's own child bullies (nor
    the other way round); what a child should do is never "a child is missing"."""
    answer = real_assistant.answer(question, Preferences(audience="parent"))
    shown = [h for _, h in ([answer.card] if answer.card else []) + list(answer.sections)]
    assert shown and not [h for h in shown if h.startswith(never)]


def test_a_card_search_ranks_first_answers_alone_and_names_its_runner_up(dialogue: Dialogue) -> None:
    """Someone in danger gets one screen: when search ranks the card section first, no
    second section follows it; a close runner-up is only named, with a button."""
    question = "同学拿刀出来了怎么办"
    answer = dialogue.assistant.answer(question, Preferences(audience="student"))
    assert answer.card and answer.card[0] == "card-knife-fight-zh"
    assert answer.result.hits[0].chunk.doc_id == "card-knife-fight-zh"
    assert answer.sections == () and answer.confident
    assert answer.related and answer.related != answer.card
    reply = ask(dialogue, question)
    assert f"相关：{answer.related[1]}" in reply.text
    doc = dialogue.assistant.knowledge.document(answer.related[0])
    index = next(i for i, s in enumerate(doc.sections) if s.heading == answer.related[1])
    assert f"sec:{doc.meta.id}:{index}" in datas(reply) and "hotlines" in datas(reply)


def test_a_request_for_a_brand_says_we_do_not_hold_it_and_offers_the_nearest(dialogue: Dialogue) -> None:
    """A brand, a price or a sign-up is never passed off as answered by the nearest
    safety section: the reply says so, is not confident, and offers sections to tap."""
    answer = dialogue.assistant.answer("给女儿买电动车头盔 哪个牌子的比较靠谱", Preferences(audience="parent"))
    assert not answer.confident and answer.scope == "unsure"
    assert answer.reply.startswith("这类信息我这里没有")
    reply = ask(dialogue, "给女儿买电动车头盔 哪个牌子的比较靠谱")
    assert any(d.startswith("sec:") for d in datas(reply))
    traditional = dialogue.assistant.answer("兒童安全座椅哪個牌子好", Preferences(audience="parent"))
    assert not traditional.confident and traditional.reply.startswith("这类信息我这里没有")
    english = dialogue.assistant.answer("how much does a child car seat cost", Preferences(audience="parent"))
    assert not english.confident and english.reply.startswith("I don't have that kind of information")
    dose = dialogue.assistant.answer("孩子发烧38度5 退烧药吃几毫升", Preferences(audience="parent"))
    assert not dose.confident and "不给药量" in dose.reply and "医生" in dose.reply


def test_a_close_runner_up_is_named_under_the_answer_one_tap_away(dialogue: Dialogue) -> None:
    """Ranking cannot always tell two sections apart: the second is named in one line
    (its heading says the answer) with a button that opens it."""
    question = "孩子发烧几天能回学校"
    answer = dialogue.assistant.answer(question, Preferences(audience="parent"))
    assert answer.related is not None and answer.related not in answer.sections
    reply = ask(dialogue, question)
    assert f"相关：{answer.related[1]}" in reply.text
    doc = dialogue.assistant.knowledge.document(answer.related[0])
    index = next(i for i, s in enumerate(doc.sections) if s.heading == answer.related[1])
    assert f"sec:{doc.meta.id}:{index}" in datas(reply)


def test_a_child_hit_at_school_is_never_answered_with_hurting_others() -> None:
    """The bullied state's `contrary` pair removes "your child hurt someone: parents
    pay" ("儿子被高年级的打了…学校说是打闹" got it), read from knowledge/scope.yaml."""
    import re

    from bot.settings import REPO_KNOWLEDGE
    from index.knowledge import load_knowledge
    from index.text import normalize

    question = normalize("儿子被高年级的打了 脸上有伤 学校说是同学之间打闹 我该怎么办")
    heading = "孩子在学校伤了别人：家长承担赔偿责任，学校有过错的分担"
    pairs = load_knowledge(REPO_KNOWLEDGE).contrary
    assert any(re.search(a, question, re.I) and re.search(n, heading, re.I) for a, n in pairs)
