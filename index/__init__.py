"""Knowledge loading, chunking, embedding and hybrid search. Never imports `bot`:
data flows one way, knowledge → index → bot."""

import logging
import sys
from pathlib import Path

from index.build import build_index, index_path
from index.embedders import Embedder
from index.knowledge import knowledge_hash
from index.manifest import FORMAT, MANIFEST, Manifest
from index.search import Hit, Preferences, SearchIndex, SearchResult

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG on import; let it follow the application's level.
logging.getLogger("bm25s").setLevel(logging.NOTSET)

__all__ = ["Hit", "Preferences", "SearchIndex", "SearchResult", "build_index", "open_index"]


def open_index(knowledge_dir: Path, data_dir: Path, embedder: Embedder) -> SearchIndex:
    """The index for this knowledge, built on first use and brought up to date when the
    knowledge has changed since (only changed sections are embedded again). An index
    built with another embedder is an error, never rebuilt behind the user's back."""
    path = index_path(data_dir)
    if not (path / MANIFEST).exists():
        print("building the search index (first use)…", file=sys.stderr)
        build_index(knowledge_dir, data_dir, embedder, show_progress=sys.stderr.isatty())
    else:
        manifest = Manifest.read(path)
        if manifest.embedder == embedder.id and manifest.format != FORMAT:
            print("the search index is from an older version: rebuilding it…", file=sys.stderr)
            build_index(knowledge_dir, data_dir, embedder, show_progress=sys.stderr.isatty())
        elif manifest.embedder == embedder.id and manifest.knowledge_hash != knowledge_hash(knowledge_dir):
            print("knowledge changed: updating the search index…", file=sys.stderr)
            build_index(knowledge_dir, data_dir, embedder, show_progress=sys.stderr.isatty())
    return SearchIndex.load(path, embedder)
