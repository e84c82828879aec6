"""Text normalisation and tokenisation shared by indexing and search, so a query is
cut exactly like the documents were, and a section's key points (what every reply,
reminder and lesson shows of it). Chinese is first class: traditional characters
are folded to simplified, and jieba cuts with the domain's own terms."""

import logging
import re
import unicodedata
from functools import cache
from pathlib import Path

import jieba
import opencc
import Stemmer

jieba.setLogLevel(logging.WARNING)

_USER_DICT = Path(__file__).with_name("userdict.txt")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_WORD = re.compile(r"[\w\u3400-\u9fff]+")
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.、)])\s+")
_MARKUP = re.compile(r"\*\*|__|`")
_STOP_ZH = frozenset(
    "的 了 吗 呢 吧 啊 呀 哦 嘛 么 啥 是 在 和 与 及 或 也 都 就 还 又 很 要 会 能 可以 "
    "我 你 他 她 它 我们 你们 他们 这 那 这个 那个 怎么 怎样 如何 什么 为什么 一个 有 没 没有 "
    "给 让 被 把 对 从 到 去 说 想 请问 一下 应该 该 个 里 上 下 着 过 得 地".split()
)
_STOP_EN = frozenset(
    "a an the and or of to in on at for with by from is are was were be been being do does "
    "did i my me we our you your he she it its they them their this that these those what "
    "how why when where who which should can could would will if so not no as about".split()
)


@cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@cache
def _tokenizer() -> jieba.Tokenizer:
    tokenizer = jieba.Tokenizer()
    with _USER_DICT.open("rb") as user_dict:  # jieba leaves a path it opens unclosed
        tokenizer.load_userdict(user_dict)
    return tokenizer


def normalize(text: str) -> str:
    """Full-width to half-width, traditional to simplified, collapsed white space."""
    text = unicodedata.normalize("NFKC", text)
    if _CJK.search(text):
        text = _converter().convert(text)
    return " ".join(text.split())


WORDS = re.compile(r"[A-Za-z\u4e00-\u9fff]")  # a message with words has a language of its own


def detect_lang(text: str) -> str:
    """'zh' when the text has Chinese characters in any real share, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    return "zh" if cjk and cjk * 3 >= latin / 4 else "en"


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Search-mode jieba cuts for Chinese, lower-cased light-stemmed words for English,
    stop words and punctuation dropped. Expects `normalize`d text."""
    tokens = []
    for raw in _tokenizer().cut_for_search(text.lower()):
        if not _WORD.fullmatch(raw):
            continue
        if _CJK.search(raw):
            if raw not in _STOP_ZH:
                tokens.append(raw)
        elif raw not in _STOP_EN:
            tokens.append(_stemmer().stemWord(raw))
    return tokens


def key_points(section_text: str, limit: int | None = None) -> list[str]:
    """The section's lead sentence, then its bullets in the authors' order (the lead
    often is the direct answer, and a list's lead-in says what the list is); a section
    written as prose gives its paragraphs."""
    lines = [_MARKUP.sub("", line).strip() for line in section_text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("|")]
    first_bullet = next((i for i, line in enumerate(lines) if _BULLET.match(line)), None)
    if first_bullet is None:
        points = lines
    else:
        points = lines[:first_bullet][:1] + [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
    return points if limit is None else points[:limit]
