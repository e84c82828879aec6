"""Hotline numbers live in knowledge/hotlines.yaml only. Content refers to them as
`{{hotline:KEY}}`, so a number that changes (12356 in 2025) changes in one place, and
anything that looks like a phone number elsewhere is caught by `safebot kb check`."""

import re
from collections.abc import Iterator, Mapping

from index.models import Hotline

REFERENCE = re.compile(r"\{\{\s*hotline:([A-Za-z0-9_]+)\s*\}\}")

# Shapes of phone numbers that must not be typed into content: mobile numbers, landlines
# with an area code, 400/800 numbers, North American numbers, and 5-digit service numbers
# (12xxx, 96xxx) unless a unit follows (12000元 is money, not a hotline).
_PHONE_SHAPES = (
    r"1[3-9]\d{9}",
    r"0\d{2,3}-\d{7,8}",
    r"[48]00-?\d{3}-?\d{4}",
    r"1-\d{3}-\d{3}-\d{4}",
    r"\d{3}-\d{3}-\d{4}",
    r"(?:12|96)\d{3}(?![元人米字名次个年件块岁份户所千万])",
)


def _phone_pattern(numbers: list[str]) -> re.Pattern[str]:
    known = sorted({re.escape(n) for n in numbers}, key=len, reverse=True)
    body = "|".join([*known, *_PHONE_SHAPES])
    return re.compile(rf"(?<![\d.\-])(?:{body})(?![\d\-])")


class Hotlines(Mapping[str, Hotline]):
    """The hotlines by key, with the two jobs every caller needs: filling references in
    and finding numbers that were typed out instead."""

    def __init__(self, entries: Mapping[str, Hotline]) -> None:
        self._entries = dict(entries)
        self._phone = _phone_pattern([h.number for h in self._entries.values()])

    def __getitem__(self, key: str) -> Hotline:
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def render(self, text: str) -> str:
        """Replace every `{{hotline:KEY}}` with its number; unknown keys are left for
        `unknown_references` to report."""
        return REFERENCE.sub(lambda m: self._entries[m[1]].number if m[1] in self._entries else m[0], text)

    def unknown_references(self, text: str) -> list[str]:
        return [key for key in REFERENCE.findall(text) if key not in self._entries]

    def typed_numbers(self, text: str) -> list[str]:
        """Phone-like numbers written out in `text` (references excluded)."""
        return self._phone.findall(REFERENCE.sub(" ", text))

    def line(self, key: str, lang: str) -> str:
        """'110 报警电话：…' as shown in hotline lists and emergency cards."""
        h = self._entries[key]
        name = h.name.zh if lang == "zh" else h.name.en
        use = h.use.zh if lang == "zh" else h.use.en
        sep = "：" if lang == "zh" else ": "
        return f"{h.number} {name}{sep}{use}"
