"""Interface text in Chinese and English, in one catalog instead of literals scattered
through the code. Safety content is not here: it lives in knowledge/."""

CATALOG: dict[str, dict[str, str]] = {
    "source": {"zh": "来源：{source}", "en": "Source: {source}"},
    "truncated": {
        "zh": "（你的消息太长，我只读了前面一部分。）",
        "en": "(Your message was very long; I only read the first part.)",
    },
    "not_confident": {
        "zh": "抱歉，这个问题我没有找到可靠的答案，不想随便回答你。可以换个说法再问，"
        "或者从这些主题里选一个：{topics}。\n\n遇到危险请直接拨打：\n{hotlines}",
        "en": "Sorry, I could not find a reliable answer to that, and I would rather not guess. "
        "Try asking another way, or pick a topic: {topics}.\n\nIn danger? Call:\n{hotlines}",
    },
}


def text(key: str, lang: str, **values: str) -> str:
    entry = CATALOG[key]
    return entry.get(lang, entry["zh"]).format(**values)
