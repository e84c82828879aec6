"""Quiz scoring lives in the engine: a channel without native quiz polls (the terminal)
passes on each choice and shows what the engine says."""

from bot.engine.contract import QuizPoll
from bot.engine.router import QuizRun

POLLS = (
    QuizPoll("河边玩耍要？", ("结伴并告诉大人", "独自去"), 0, "要结伴。"),
    QuizPoll("有人落水要？", ("跳下去救", "大声呼救并报警"), 1, "不要盲目下水。"),
)


def test_each_answer_is_judged_and_the_score_comes_last() -> None:
    quiz = QuizRun(POLLS, "zh")
    assert quiz.current == POLLS[0]
    [first] = quiz.answer(0)
    assert first.text == "✓ 答对了。要结伴。"
    assert quiz.current == POLLS[1]
    verdict, score = quiz.answer(0)
    assert verdict.text.startswith("✗ 正确答案是 [2] 大声呼救并报警") and verdict.text.endswith("不要盲目下水。")
    assert score.text == "小测结束：答对 1/2 题。"
    assert quiz.current is None and quiz.answer(0) == []


def test_english_verdicts() -> None:
    quiz = QuizRun(POLLS[:1], "en")
    verdict, score = quiz.answer(1)
    assert verdict.text == "✗ The right answer is [1] 结伴并告诉大人.要结伴。"
    assert score.text == "Quiz done: 0 of 1 right."
