"""Schemas for what people write in knowledge/. Unknown fields are refused so that a
typo (`audience:` for `audiences:`) is an error, not a silently ignored setting."""

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from index.vocab import Audience, Grade, Lang, Topic

_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2})?$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Strict):
    issuer: str = Field(min_length=1)
    title: str = Field(min_length=1)
    url: str | None = None
    doc_no: str | None = None
    date: dt.date | str | None = None
    # The day someone read the page and checked that it supports the text: for a page
    # that shows no date of its own (a date it shows goes in `date`).
    accessed: dt.date | None = None

    @field_validator("date")
    @classmethod
    def _date_or_partial(cls, value: dt.date | str | None) -> dt.date | str | None:
        if isinstance(value, str) and not _PARTIAL_DATE.match(value):
            raise ValueError("date must be YYYY-MM-DD, YYYY-MM or YYYY")
        return value

    def cite(self) -> str:
        """One line a parent can read: issuer, title, date."""
        title = self.title if self.title.startswith("《") else f"《{self.title}》"
        when = f"（{self.date}）" if self.date else ""
        return f"{self.issuer}{title}{when}"


class FrontMatter(Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str = Field(min_length=1)
    topic: Topic
    audiences: list[Audience] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    lang: Lang
    summary: str = Field(min_length=1)
    kind: Literal["guide", "card"] = "guide"
    sources: list[Source] = Field(min_length=1)
    updated: dt.date
    months: list[int] | None = None
    related: list[str] = Field(default_factory=list)
    expires: dt.date | None = None

    @field_validator("months")
    @classmethod
    def _months_in_range(cls, value: list[int] | None) -> list[int] | None:
        if value is not None and not all(1 <= m <= 12 for m in value):
            raise ValueError("months must be numbers from 1 to 12")
        return value


class Localized(Strict):
    zh: str
    en: str


class Hotline(Strict):
    number: str = Field(pattern=r"^\d{3,6}$")
    name: Localized
    use: Localized
    hours: Localized
    region: str
    since: dt.date | None = None
    note: Localized | None = None
    sources: list[Source] = Field(min_length=1)
