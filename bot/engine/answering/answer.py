"""Composing the reply a parent reads on a phone: the answering section whole (heading,
lead sentence, steps) and its own source, within one screen. Nothing here invents
advice: every line comes from a knowledge section, a triage card or the hotline list."""

import re

from bot.texts import text
from index.hotlines import Hotlines
from index.knowledge import Document, Section
from index.vocab import TOPIC_LABELS

# One phone screen of text: a reply longer than this is scrolled, and the end of a list
# is what gets missed. A section longer than its budget stops at a whole step.
SCREEN = {"zh": 600, "en": 1000}
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.、)])\s+")
_MARKUP = re.compile(r"\*\*|__|`")


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


def render_section(doc: Document, section: Section, lang: str, budget: int | None = None) -> str:
    """Heading, then every point as a line, then the section's own source. With a
    `budget`, points stop at a whole one and a line says the rest is one tap away."""
    source = text("source", lang, source=doc.source_of(section).cite())
    lines = [section.heading]
    used = len(section.heading) + len(source) + 2
    for point in key_points(section.text):
        line = f"• {point}"
        if budget is not None and len(lines) > 1 and used + len(line) + 1 > budget:
            lines.append(text("more_in_doc", lang))
            break
        lines.append(line)
        used += len(line) + 1
    return "\n".join([*lines, source])


def not_confident(hotlines: Hotlines, lang: str) -> str:
    topics = (
        "、".join(v[lang] for v in TOPIC_LABELS.values())
        if lang == "zh"
        else "; ".join(v[lang] for v in TOPIC_LABELS.values())
    )
    lines = [hotlines.line(key, lang) for key in ("police", "ambulance", "mental_health")]
    return text("not_confident", lang, topics=topics, hotlines="\n".join(lines))


def locale_note(hotlines: Hotlines) -> str:
    """English readers may not be in China: say once whose numbers these are, and the
    ones the registry holds for elsewhere."""
    elsewhere = "; ".join(f"{h.name.en} {h.number}" for h in hotlines.values() if h.region != "CN")
    return text("locale_note", "en", elsewhere=elsewhere)
