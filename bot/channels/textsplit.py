"""Splitting a long reply into messages a channel can carry: at paragraph boundaries,
then lines, then (for a single over-long line) anywhere. The engine returns whole
replies; each channel splits for its own limit."""


def split_text(message: str, limit: int) -> list[str]:
    """Split at paragraph boundaries, then lines, so no part exceeds `limit`."""
    if len(message) <= limit:
        return [message]
    pieces: list[str] = []
    for block in message.split("\n\n"):
        pieces += [block] if len(block) <= limit else _pack(_cut_lines(block, limit), "\n", limit)
    return _pack(pieces, "\n\n", limit)


def _cut_lines(block: str, limit: int) -> list[str]:
    """The block's lines, a line longer than `limit` cut into `limit`-sized pieces."""
    return [line[i : i + limit] for line in block.split("\n") for i in range(0, max(len(line), 1), limit)]


def _pack(pieces: list[str], separator: str, limit: int) -> list[str]:
    """Greedily join pieces (each at most `limit`) with `separator` into parts of at most `limit`."""
    parts: list[str] = []
    current = ""
    for piece in pieces:
        joined = f"{current}{separator}{piece}" if current else piece
        if len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = piece
    if current:
        parts.append(current)
    return parts
