"""A unified content diff of two texts, row by row (difflib), highlighted like the viewer's rows.

Long lines are compared as the viewer shows them, in rows of at most `render.WRAP` characters cut where
the content says, so a 2 MB minified file is ~6,000 comparable rows rather than one line, and changing
one statement in it changes one or two rows. Inputs past `MAX_INPUT_ROWS` are not
compared (difflib's cost grows faster than linearly), and at most `MAX_SHOWN_ROWS` rows are returned.
"""

from __future__ import annotations

import difflib
import html
from dataclasses import dataclass, field

from programs.codeview.render import highlight_rows, row_spans

CONTEXT = 3
MAX_INPUT_ROWS = 20_000
MAX_SHOWN_ROWS = 3_000
MAX_SHOWN_CHARS = 256 * 1024  # of source text: a diff page's HTML stays bounded like a viewer page's
HIGHLIGHT_CHARS = 256 * 1024  # larger sides are shown plain, so a diff page stays quick to build


@dataclass(frozen=True)
class DiffRow:
    kind: str  # "same", "add", "del" or "hunk" (a hunk header)
    old: int | None  # line numbers, on a line's first row only
    new: int | None
    html: str
    cont: bool = False


@dataclass
class ContentDiff:
    rows: list[DiffRow] = field(default_factory=list)
    added: int = 0  # rows
    removed: int = 0
    hidden: int = 0  # changed rows past MAX_SHOWN_ROWS or MAX_SHOWN_CHARS
    shown_chars: int = 0
    too_large: bool = False

    @property
    def identical(self) -> bool:
        return not self.too_large and not self.added and not self.removed


class _Side:
    """One text's rows: the plain strings difflib compares, their HTML, their line numbers."""

    def __init__(self, text: str | None, lexer: str):
        self.spans = row_spans(text) if text else []
        self.plain = [text[start:end] for _line, start, end in self.spans] if text else []
        self.text, self.lexer = text or "", lexer
        self._html: list[str] | None = None

    def html(self, index: int) -> str:
        if self._html is None:
            if len(self.text) <= HIGHLIGHT_CHARS:
                self._html = [row.html for row in highlight_rows(self.text, self.spans, self.lexer)]
            else:
                self._html = [html.escape(piece) for piece in self.plain]
        return self._html[index]

    def number(self, index: int) -> int | None:
        line = self.spans[index][0]
        return None if index and self.spans[index - 1][0] == line else line


def content_diff(old: str | None, new: str | None, lexer: str) -> ContentDiff:
    before, after = _Side(old, lexer), _Side(new, lexer)
    if max(len(before.plain), len(after.plain)) > MAX_INPUT_ROWS:
        return ContentDiff(too_large=True)
    diff = ContentDiff()
    matcher = difflib.SequenceMatcher(None, before.plain, after.plain)
    for group in matcher.get_grouped_opcodes(CONTEXT):
        _hunk(diff, group, before, after)
    return diff


def _hunk(diff: ContentDiff, group, before: _Side, after: _Side) -> None:
    header = f"@@ -{_range(before, [(i1, i2) for _t, i1, i2, _j1, _j2 in group])} " \
             f"+{_range(after, [(j1, j2) for _t, _i1, _i2, j1, j2 in group])} @@"
    _append(diff, DiffRow("hunk", None, None, html.escape(header)))
    for tag, i1, i2, j1, j2 in group:
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                _append(diff, DiffRow("same", before.number(i), after.number(j), after.html(j), _cont(after, j)),
                        len(after.plain[j]))
            continue
        for i in range(i1, i2):
            diff.removed += 1
            _append(diff, DiffRow("del", before.number(i), None, before.html(i), _cont(before, i)), len(before.plain[i]))
        for j in range(j1, j2):
            diff.added += 1
            _append(diff, DiffRow("add", None, after.number(j), after.html(j), _cont(after, j)), len(after.plain[j]))


def _append(diff: ContentDiff, row: DiffRow, chars: int = 0) -> None:
    if len(diff.rows) < MAX_SHOWN_ROWS and diff.shown_chars + chars <= MAX_SHOWN_CHARS:
        diff.rows.append(row)
        diff.shown_chars += chars
    elif row.kind in ("add", "del"):
        diff.hidden += 1


def _cont(side: _Side, index: int) -> bool:
    return side.number(index) is None


def _range(side: _Side, spans: list[tuple[int, int]]) -> str:
    """`start,count` of the lines a hunk covers on one side, as `diff -u` writes it (`0,0` for none)."""
    lines = {side.spans[index][0] for start, end in spans for index in range(start, end)}
    return f"{min(lines)},{len(lines)}" if lines else "0,0"
