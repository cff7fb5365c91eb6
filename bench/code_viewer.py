"""Benchmark the code viewer on a 2 MB minified file: layout, the first part highlighted, its HTML size,
and a content diff of the whole file (what a cache miss costs; a cache hit costs none of it).

    python bench/code_viewer.py            # from the repository root

Targets: the first part in under 1 s and under 1.5 MB of HTML; the diff's HTML under 1 MB.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [entry for entry in sys.path if Path(entry or ".").resolve() != ROOT / "bench"]

import os  # noqa: E402
import time  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "console.settings")
import django  # noqa: E402

django.setup()

from programs.codeview import render  # noqa: E402
from programs.codeview.diffing import content_diff  # noqa: E402
from programs.tests.codeview import minified_js  # noqa: E402

MB = 1024 * 1024


def timed(action):
    started = time.perf_counter()
    result = action()
    return result, (time.perf_counter() - started) * 1000


def main() -> None:
    text = minified_js(2 * MB)
    spans, layout_ms = timed(lambda: render.row_spans(text))
    pages = render.paginate(spans)
    first = pages[0]
    rows, highlight_ms = timed(lambda: render.highlight_rows(text, spans[first.first_row:first.end_row], "javascript"))
    html_bytes = sum(len(row.html) for row in rows)
    changed = text[: MB] + "var injected=1;" + text[MB:]
    diff, diff_ms = timed(lambda: content_diff(text, changed, "javascript"))
    diff_bytes = sum(len(row.html) for row in diff.rows)
    print(f"2 MB minified file: {len(spans):,} rows in {len(pages)} parts; layout {layout_ms:.0f} ms")
    print(f"first part: {len(rows)} rows highlighted in {highlight_ms:.0f} ms, {html_bytes:,} bytes of row HTML")
    print(f"content diff of a one-statement change: {diff_ms:.0f} ms, {len(diff.rows)} rows shown "
          f"(+{diff.added} −{diff.removed}), {diff_bytes:,} bytes of row HTML")
    ok = highlight_ms < 1000 and html_bytes < 1_500_000 and diff_bytes < MB
    print("OK" if ok else "OVER TARGET")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
