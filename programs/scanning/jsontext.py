"""Tolerant, bounded JSON parsing with line/column positions for findings.

Configuration files come from developers' tools, so a UTF-8 BOM is accepted (the caller decodes with
`utf-8-sig`) and `//` / `/* */` comments are accepted where the dialect's tools accept them. Nesting
depth is measured before `json.loads` runs, so a hostile `[[[[...` costs one regex pass, not a
RecursionError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_TOKENS = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?(?:\*/|\Z)|[\[\]{}]', re.S)
_NOT_NEWLINE = re.compile(r"[^\n]")
_OPENERS = frozenset("[{")
_CLOSERS = frozenset("]}")


@dataclass(frozen=True)
class JsonError:
    """Why a JSON text was refused; `too_deep` separates the bounded-depth refusal from syntax errors."""

    message: str
    line: int | None = None
    column: int | None = None
    too_deep: bool = False


@dataclass
class JsonDocument:
    """A parsed JSON file that can point back into its text."""

    name: str
    text: str
    data: Any

    def position(self, *needles: str, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column of the first needle found as a JSON string (as an object key if `key`)."""
        for needle in needles:
            quoted = re.escape(json.dumps(needle, ensure_ascii=False))
            match = re.search(quoted + (r"\s*:" if key else ""), self.text)
            if match:
                return line_and_column(self.text, match.start())
        return None, None


def parse_json(text: str, *, allow_comments: bool, max_depth: int) -> tuple[Any, JsonError | None]:
    """Parse `text`; on failure return (None, JsonError) instead of raising."""
    comments, error = _scan_structure(text, allow_comments, max_depth)
    if error is not None:
        return None, error
    if comments:
        text = _blank_spans(text, comments)
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, JsonError(exc.msg, exc.lineno, exc.colno)
    except (ValueError, RecursionError) as exc:
        return None, JsonError(str(exc))


def _scan_structure(text: str, allow_comments: bool, max_depth: int) -> tuple[list[tuple[int, int]], JsonError | None]:
    """Comment spans and the first depth/comment violation, from one pass over the tokens."""
    depth, comments = 0, []
    for token in _TOKENS.finditer(text):
        first = token.group()[0]
        if first in _OPENERS:
            depth += 1
            if depth > max_depth:
                line, column = line_and_column(text, token.start())
                return comments, JsonError(f"nesting deeper than {max_depth} levels", line, column, too_deep=True)
        elif first in _CLOSERS:
            depth -= 1
        elif first == "/":
            if not allow_comments:
                line, column = line_and_column(text, token.start())
                return comments, JsonError("comments are not allowed in this dialect's JSON files", line, column)
            comments.append(token.span())
    return comments, None


def _blank_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace comments by spaces, keeping newlines so decoder positions still match the file."""
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], _NOT_NEWLINE.sub(" ", text[start:end])]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1
