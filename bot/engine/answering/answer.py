"""Composing the reply a parent reads on a phone: the answering section whole (heading,
lead sentence, steps) and its own source, within one screen. Nothing here invents
advice: every line comes from a knowledge section, a triage card or the hotline list."""

from bot.texts import text
from index.hotlines import Hotlines
from index.knowledge import Document, Section
from index.text import key_points
from index.vocab import TOPIC_LABELS

# One phone screen of text: a reply longer than this is scrolled, and the end of a list
# is what gets missed. A section longer than its budget stops at a whole step.
SCREEN = {"zh": 600, "en": 1000}
# The numbers a reply that is not sure of its answer still gives: whoever asked may be
# asking because something is happening.
DANGER_NOW = ("police", "ambulance", "mental_health")


def render_section(doc: Document, section: Section, lang: str, budget: int | None = None) -> str:
    """Heading, then every point as a line, then the section's own source. With a
    `budget`, points stop at a whole one and a line says the rest is one tap away."""
    source = text("source", lang, source=doc.source_of(section).cite())
    more = text("more_in_doc", lang)
    lines = [section.heading]
    used = len(section.heading) + len(source) + 2
    points = key_points(section.text)
    for n, point in enumerate(points, 1):
        line = f"• {point}"
        # a point that is not the last leaves room for the "read more" line after it
        room = 0 if n == len(points) else len(more) + 1
        if budget is not None and len(lines) > 1 and used + len(line) + 1 + room > budget:
            lines.append(more)
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
    lines = [hotlines.line(key, lang) for key in DANGER_NOW]
    return text("not_confident", lang, topics=topics, hotlines="\n".join(lines))


def danger_line(hotlines: Hotlines, lang: str) -> str:
    """The numbers for danger now on one line, under an answer the bot is not sure of:
    whoever asked may be asking because something is happening."""
    numbers = " · ".join(
        f"{h.number} {h.name.zh if lang == 'zh' else h.name.en}" for h in (hotlines[key] for key in DANGER_NOW)
    )
    return text("in_danger", lang, numbers=numbers)


def locale_note(hotlines: Hotlines) -> str:
    """English readers may not be in China: say once whose numbers these are, and the
    ones the registry holds for elsewhere."""
    elsewhere = "; ".join(f"{h.name.en} {h.number}" for h in hotlines.values() if h.region != "CN")
    return text("locale_note", "en", elsewhere=elsewhere)
