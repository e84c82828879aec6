"""Request and response bodies of the HTTP API. Requests forbid unknown fields (422);
every model carries an example for the OpenAPI document."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from index.vocab import Audience, Grade, Lang, Topic

# one vocabulary for the whole product: the content model's (index/vocab.py)
Role = Audience
TopicSlug = Topic

MAX_TEXT = 2000
MAX_BUTTON = 64


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Error(BaseModel):
    error: str = Field(description="A stable code: bad_json, invalid, unauthorized, not_found, rate_limited, …")
    message: str = Field(description="What went wrong, in English")
    details: list[dict[str, object]] | None = Field(default=None, description="Per-field problems (422 only)")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "rate_limited", "message": "too many requests: retry in 3 s"}]}
    )


class MessageIn(Strict):
    """A message typed by the user, or a button they pressed: exactly one of the two."""

    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)] | SkipJsonSchema[None] = None
    button: Annotated[str, Field(min_length=1, max_length=MAX_BUTTON)] | SkipJsonSchema[None] = None
    language: Lang | SkipJsonSchema[None] = Field(
        default=None, description="The interface language before settings exist"
    )

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": ["text"]}, {"required": ["button"]}],
            "examples": [{"text": "孩子暑假想去河里游泳怎么办", "language": "zh"}, {"button": "topic:drowning"}],
        },
    )

    @model_validator(mode="after")
    def _one_of(self) -> "MessageIn":
        if (self.text is None) == (self.button is None):
            raise ValueError("send exactly one of text or button")
        return self


class ButtonOut(BaseModel):
    label: str
    data: str = Field(description="Send it back as `button` to press it")


class PollOut(BaseModel):
    question: str
    options: list[str]
    correct: int = Field(description="0-based index of the right option")
    explanation: str


class DocumentOut(BaseModel):
    filename: str
    media_type: str
    size: int
    url: str | None = Field(default=None, description="Download address (same credentials), valid for 10 minutes")
    base64: str | None = Field(default=None, description="The file itself, when asked for with ?documents=base64")


class ReplyOut(BaseModel):
    text: str
    buttons: list[list[ButtonOut]] = Field(description="Rows of buttons")
    edit: bool = Field(description="Replaces the reply whose button was pressed")
    poll: PollOut | None = None
    document: DocumentOut | None = None


class MessageOut(BaseModel):
    replies: list[ReplyOut]

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "replies": [
                        {
                            "text": "【防溺水】…\n来源：教育部…",
                            "buttons": [[{"label": "📖 完整内容", "data": "doc:drowning-parent-zh"}]],
                            "edit": False,
                            "poll": None,
                            "document": None,
                        }
                    ]
                }
            ]
        }
    )


# A question holds at least one visible character. Python's str.strip() also drops the
# control characters \x1c-\x1f that JSON Schema's \s does not count as space, so the
# schema names the controls too: "\x1f" alone is refused by the schema, not found empty later.
VISIBLE = r"[^\s\x00-\x1f\x7f-\x9f]"


class AskIn(Strict):
    question: str = Field(min_length=1, max_length=MAX_TEXT, pattern=VISIBLE)
    audience: Role | None = None
    grade: Grade | None = None
    lang: Lang | None = None
    top_k: int = Field(default=5, ge=1, le=50)

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"question": "萝卜刀算管制刀具吗", "audience": "parent", "grade": "primary"}]},
    )


class HitOut(BaseModel):
    doc_id: str
    title: str
    topic: str
    audiences: list[str]
    lang: str
    section: str
    text: str
    score: float
    source: str


class AskOut(BaseModel):
    """The `safebot ask --json` shape."""

    question: str
    triage: str = Field(description="none, check, crisis, emergency or disclosure")
    confident: bool
    results: list[HitOut]
    reply: str

    model_config = ConfigDict(extra="allow")


class DocumentSummary(BaseModel):
    id: str
    title: str
    lang: str
    audiences: list[str]
    grades: list[str]
    summary: str


class TopicOut(BaseModel):
    slug: str
    label: str
    documents: list[DocumentSummary]


class SectionOut(BaseModel):
    index: int
    heading: str
    text: str
    source: str


class DocumentDetail(DocumentSummary):
    topic: str
    sections: list[SectionOut]


class HotlineOut(BaseModel):
    key: str
    number: str
    name: str
    use: str


class SettingsIn(Strict):
    role: Role | None = None
    grade: Grade | None = None
    lang: Lang = "zh"

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "parent", "grade": "primary", "lang": "zh"}]}
    )


class SettingsOut(BaseModel):
    role: Role | None
    grade: Grade | None
    lang: Lang
    saved: bool = Field(description="False until settings are saved (nothing is kept before)")


class TopicsIn(Strict):
    topics: list[TopicSlug] | None = Field(default=None, max_length=8, description="None or absent: every topic")

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"topics": ["drowning", "traffic"]}]})


class UpcomingOut(BaseModel):
    time: str
    reminder: str
    topic: str


class RemindersOut(BaseModel):
    subscriptions: list[str]
    upcoming: list[UpcomingOut] = Field(description="The next 60 days, for the subscribed topics")


class Health(BaseModel):
    status: str
    queued: int | None = None
