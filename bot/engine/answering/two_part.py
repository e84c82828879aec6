"""Two questions in one message ("溺水怎么预防？掉水里了又怎么自救") deserve two answers.
A message is split at question marks, semicolons, "还有/另外" and spaces (people type
spaces for punctuation), and counts as two questions only when two of its clauses are
questions, so a rambling message with one question in it stays whole."""

import re

from index.text import normalize

_SPLIT = re.compile(
    r"(?<=[?？])\s*|[;；]\s*|\s*(?:还有|另外|以及|同时还想问|顺便问一下|顺便问下)\s*|(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])|"
    r"\s+(?:and also|and what|and how|also,?)\s+",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"怎么|怎样|如何|什么|啥|吗|呢|哪|几|多少|多久|多长|多大|能不能|会不会|能否|是否|可不可以|可以|要不要|该不该|应该|"
    r"是不是|有没有|为什么|咋|"
    r"\b(how|what|why|when|where|which|should|can|could|is|are|do|does)\b",
    re.IGNORECASE,
)
_MIN_CHARS = {"zh": 5, "en": 12}


def question_parts(question: str, lang: str) -> list[str]:
    """The message's questions: two when it asks two, else the message itself."""
    text = normalize(question).strip()
    parts = [p.strip(" ，,。.") for p in _SPLIT.split(text) if p and p.strip(" ，,。.")]
    asked = [p for p in parts if len(p) >= _MIN_CHARS.get(lang, 5) and _QUESTION.search(p)]
    return asked[:2] if len(asked) >= 2 else [question]
