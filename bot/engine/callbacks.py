"""Button data, encoded and decoded here and nowhere else.

Data is short and self-describing ("doc:drowning-parent-zh", "fb:u:drowning-parent-zh:2")
so that no conversation state has to survive between presses: a kind, then its fields,
joined by ':'. Telegram limits callback data to 64 bytes (UTF-8); `encode` refuses
anything longer, so a button that could not be pressed is never sent."""

from dataclasses import dataclass

MAX_BYTES = 64  # Telegram's limit on callback_data
SEP = ":"


class ButtonDataError(ValueError):
    """Button data that no channel could carry back (too long, or a field with ':')."""


@dataclass(frozen=True)
class Press:
    """A decoded button: its kind and fields ("sec:doc:2" → kind "sec", fields ("doc", "2"))."""

    kind: str
    fields: tuple[str, ...] = ()

    @property
    def rest(self) -> str:
        """The fields as one string, as they were encoded."""
        return SEP.join(self.fields)

    def field(self, index: int, default: str = "") -> str:
        return self.fields[index] if index < len(self.fields) else default


def encode(kind: str, *fields: object) -> str:
    """`kind:field:field…`; ButtonDataError if a field holds ':' or the whole is over 64 bytes."""
    parts = [kind, *(str(f) for f in fields)]
    if any(SEP in p for p in parts):
        raise ButtonDataError(f"a button field may not contain '{SEP}': {parts!r}")
    data = SEP.join(parts)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise ButtonDataError(f"button data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str) -> Press:
    """Never fails: unknown or malformed data decodes to a kind the engine answers with
    "that is gone" (old buttons outlive releases)."""
    if len(data.encode("utf-8")) > MAX_BYTES:
        return Press("")
    kind, _, rest = data.partition(SEP)
    return Press(kind, tuple(rest.split(SEP)) if rest else ())
