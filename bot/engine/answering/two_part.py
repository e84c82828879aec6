"""Two questions in one message ("溺水怎么预防？掉水里了又怎么自救") deserve two answers.
A message is split into clauses at question marks, semicolons, "还有/另外", Chinese
commas and spaces (people type spaces for punctuation); a clause that asks nothing
("孩子被同学打了头还流血") is context for the question after it, so each part can be
searched alone. It counts as two questions only when two of its clauses are questions,
so a rambling message with one question in it stays whole; whether two questions need
two sections is for search to say (the assistant shows one when both land on it)."""

import re

from index.text import normalize

_SPLIT = re.compile(
    r"(?<=[?？])\s*|[;；]\s*|\s*(?:还有|另外|以及|同时还想问|顺便问一下|顺便问下|顺便)\s*|"
    r"(?<=[\u4e00-\u9fff])\s*[，,]\s*|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|"
    r"\s+(?:and also|and what|and how|also,?)\s+|"
    # ", and does he need a helmet?": a second question joined by "and"
    r",\s*and\s+(?=(?:does|do|is|are|can|should|will|would|could|when|where|why|which)\b)",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"怎么|怎样|如何|什么|啥|吗|呢|哪|(?<![好十])几(?!个(?:人|同学|孩子|学生|小孩|朋友))|多少|多久|多长|多大|能不能|会不会|能否|是否|可不可以|可以|要不要|该不该|应该|"
    r"是不是|有没有|为什么|咋|行不行|算不算|对不对|好不好|"
    r"\b(how|what|why|when|where|which|should|can|could|is|are|do|does)\b",
    re.IGNORECASE,
)
_MIN_CHARS = {"zh": 5, "en": 12}
# a question the writer reports ("孩子问我人死了会去哪里", then "我该怎么回答") is the
# scene of the writer's own question, not a second one
_REPORTED = re.compile(r"^[^，,\s]{0,6}(?<![请想])(问我|问你|老问|总问|一直问|问过我)")


def question_parts(question: str, lang: str) -> list[str]:
    """The message's questions, each with the clauses before it that set the scene:
    two when it asks two, else the message itself."""
    text = normalize(question).strip()
    clauses = [p.strip(" ，,。.") for p in _SPLIT.split(text) if p and p.strip(" ，,。.")]
    asked: list[str] = []
    context: list[str] = []
    for clause in clauses:
        if len(clause) >= _MIN_CHARS.get(lang, 5) and _QUESTION.search(clause) and not _REPORTED.search(clause):
            asked.append(" ".join([*context, clause]))
            context = []
        else:
            context.append(clause)
    return asked[:2] if len(asked) >= 2 else [question]
