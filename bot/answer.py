"""Composing the reply a parent reads on a phone: the key points of the best section,
its title and its source. Nothing here invents advice: every line comes from a knowledge
section, a triage card or the hotline list."""

import re

from bot.messages import text
from index import Hit, SearchResult
from index.hotlines import Hotlines
from index.vocab import TOPIC_LABELS

MAX_POINTS = 6
MAX_REPLY_CHARS = 700
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.、)])\s+")
_MARKUP = re.compile(r"\*\*|__|`")


def key_points(section_text: str, limit: int = MAX_POINTS) -> list[str]:
    """The section's lead sentence, then its bullets, most important first as authors
    are asked to write them (the lead often is the direct answer, and a list's lead-in
    says what the list is); a section written as prose gives its paragraphs."""
    lines = [_MARKUP.sub("", line).strip() for line in section_text.splitlines()]
    first_bullet = next((i for i, line in enumerate(lines) if _BULLET.match(line)), None)
    if first_bullet is None:
        return [line for line in lines if line and not line.startswith("|")][:limit]
    lead = [line for line in lines[:first_bullet] if line and not line.startswith("|")]
    bullets = [_BULLET.sub("", line) for line in lines if _BULLET.match(line)]
    return lead[:1] + bullets[: max(1, limit - 1) if lead else limit]


def format_hit(hit: Hit, lang: str) -> str:
    chunk = hit.chunk
    points = key_points(chunk.text)
    head = f"【{chunk.title}】{chunk.section}" if lang == "zh" else f"{chunk.title}: {chunk.section}"
    body = "\n".join(f"• {p}" for p in points)
    if len(body) > MAX_REPLY_CHARS:
        body = body[:MAX_REPLY_CHARS].rsplit("\n", 1)[0] + "\n…"
    return f"{head}\n{body}\n{text('source', lang, source=chunk.source)}"


def not_confident(hotlines: Hotlines, lang: str) -> str:
    topics = (
        "、".join(v[lang] for v in TOPIC_LABELS.values())
        if lang == "zh"
        else "; ".join(v[lang] for v in TOPIC_LABELS.values())
    )
    lines = [hotlines.line(key, lang) for key in ("police", "ambulance", "mental_health")]
    return text("not_confident", lang, topics=topics, hotlines="\n".join(lines))


def compose_reply(
    result: SearchResult, hotlines: Hotlines, lang: str, lead: str | None = None, skip: tuple[str, str] | None = None
) -> str:
    """`lead` is a triage card that must come first; it stands alone for a crisis.
    `skip` is the (document, heading) the lead already shows."""
    parts = [lead] if lead else []
    if result.truncated:
        parts.append(text("truncated", lang))
    hits = [h for h in result.hits if (h.chunk.doc_id, h.chunk.section) != skip]
    if result.confident and hits:
        parts.append(format_hit(hits[0], lang))
    elif not lead:
        parts.append(not_confident(hotlines, lang))
    return "\n\n".join(parts)
