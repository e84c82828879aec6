"""Splitting a long reply into messages a channel can carry: at paragraph boundaries,
then lines, then (for a single over-long line) anywhere. The engine returns whole
replies; each channel splits for its own limit."""


def split_text(message: str, limit: int) -> list[str]:
    """Split at paragraph boundaries, then lines, so no part exceeds `limit`."""
    if len(message) <= limit:
        return [message]
    parts: list[str] = []
    current = ""
    for block in message.split("\n\n"):
        pieces = [block] if len(block) <= limit else _split_lines(block, limit)
        for piece in pieces:
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) <= limit:
                current = joined
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return parts


def _split_lines(block: str, limit: int) -> list[str]:
    out: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > limit:
            out.append(line[:limit])
            line = line[limit:]
        joined = f"{current}\n{line}" if current else line
        if len(joined) <= limit:
            current = joined
        else:
            out.append(current)
            current = line
    if current:
        out.append(current)
    return out
