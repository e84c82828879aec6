"""Index build time for the shipped knowledge: a full build with an empty embedding
cache, a rebuild with nothing changed, and a rebuild after editing one document.

    python benchmarks/build_time.py
"""

import shutil
import tempfile
import time
from pathlib import Path

from bot.settings import Settings
from index import build_index
from index.embedders import get_embedder


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    settings = Settings.from_env()
    embedder = get_embedder(settings.embedder)
    with tempfile.TemporaryDirectory() as tmp:
        knowledge = Path(tmp) / "knowledge"
        shutil.copytree(settings.knowledge_dir, knowledge)
        data = Path(tmp) / "var"
        manifest = None

        def build() -> None:
            nonlocal manifest
            manifest = build_index(knowledge, data, embedder, show_progress=False)

        full = timed(build)
        unchanged = timed(build)
        doc = knowledge / "docs" / "drowning" / "drowning-parent-zh.md"
        doc.write_text(
            doc.read_text(encoding="utf-8") + "\n## 编辑测试：水库边的警示牌\n- 看到警示牌不要靠近水边。\n",
            encoding="utf-8",
        )
        edited = timed(build)
    assert manifest is not None
    print(f"embedder {embedder.id}: {manifest.documents} documents, {manifest.chunks} chunks\n")
    print(f"{'build':<36} {'seconds':>8}")
    print(f"{'full (empty embedding cache)':<36} {full:>8.1f}")
    print(f"{'rebuild, nothing changed':<36} {unchanged:>8.1f}")
    print(f"{'rebuild after editing one document':<36} {edited:>8.1f}")


if __name__ == "__main__":
    main()
