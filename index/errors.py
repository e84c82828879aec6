"""The one exception hierarchy. The CLI turns a `SafebotError` into a one-line message
and exit code 2; anything else is a bug and exits 1."""


class SafebotError(Exception):
    """Bad input or content that the user can fix; the message says how."""


class KnowledgeError(SafebotError):
    """The knowledge directory is missing or holds invalid files."""


class IndexMissingError(SafebotError):
    """No usable index on disk."""


class IndexCorruptError(SafebotError):
    """An index file is missing or unreadable; rebuilding fixes it."""


class IndexMismatchError(SafebotError):
    """The index was built with another embedder or by an incompatible version."""


class EmbedderError(SafebotError):
    """An unknown embedder id, or one whose runtime is not installed."""


class BadInputError(SafebotError):
    """A question or option the user gave cannot be used."""
