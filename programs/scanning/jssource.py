"""JavaScript sources with comments and string contents masked out, for pattern checks.

A full parser is not needed to avoid the classic false positives (`eval(` in a comment, a
`"wx.getLocation"` log message): one regex pass finds comments, string/template literals and regex
literals, and the masked copy keeps every offset and newline of the original, so a match in the
masked text maps straight back to a line and column. Comments become spaces; characters inside
literals become `STRING_FILL`, so checks can still ask "is this offset inside a string?".
The tokenizer is heuristic on purpose: a `/` is a regex only after an operator or `return`/`typeof`,
and `${...}` inside template literals is treated as part of the string.
"""

from __future__ import annotations

import bisect
import re

from .codes import new_finding
from .findings import Finding
from .package import SCRIPT_EXTENSIONS, Package, extension

STRING_FILL = "\x07"

_TOKENS = re.compile(
    r"""
      (?P<comment>//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/|\Z))
    | (?P<string>"[^"\\\n]*(?:\\[\s\S][^"\\\n]*)*"
        |'[^'\\\n]*(?:\\[\s\S][^'\\\n]*)*'
        |`[^`\\]*(?:\\[\s\S][^`\\]*)*`)
    | (?:(?<=[(,=:\[!&|?{};])|(?<=return)|(?<=typeof))[ \t]*
      (?P<regex>/(?![*/])[^/\\\n\[]*(?:(?:\\.|\[(?:[^\]\\\n]|\\.)*\])[^/\\\n\[]*)*/)
    """,
    re.VERBOSE,
)
_NOT_NEWLINE = re.compile(r"[^\n]")
_LITERAL_ESCAPES = {"\\/": "/", "\\'": "'", '\\"': '"', "\\`": "`"}


class Script:
    """One script file: its text, its masked twin and a lazy line index."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text
        self._masked: str | None = None
        self._newlines: list[int] | None = None

    @property
    def masked(self) -> str:
        if self._masked is None:
            self._masked = mask(self.text)
        return self._masked

    def position(self, offset: int) -> tuple[int, int]:
        if self._newlines is None:
            self._newlines = [match.start() for match in re.finditer("\n", self.text)]
        line = bisect.bisect_left(self._newlines, offset)
        line_start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, offset - line_start + 1

    def finding(self, code: str, message: str, offset: int) -> Finding:
        line, column = self.position(offset)
        return new_finding(code, message, file=self.name, line=line, column=column)

    def in_string(self, offset: int) -> bool:
        return self.masked[offset:offset + 1] == STRING_FILL

    def literal_at(self, offset: int) -> str | None:
        """The content of the string literal whose opening quote is at `offset` (escapes simplified)."""
        quote = self.text[offset:offset + 1]
        if quote not in ("'", '"', "`"):
            return None
        end = self.masked.find(quote, offset + 1)
        if end < 0:
            return None
        value = self.text[offset + 1:end]
        for escaped, plain in _LITERAL_ESCAPES.items():
            value = value.replace(escaped, plain)
        return value


def mask(text: str) -> str:
    return _TOKENS.sub(_masked_token, text)


def _masked_token(match: re.Match) -> str:
    token = match.group()
    if match.lastgroup == "comment":
        return _fill(token, " ")
    # Keep the delimiters (and the blanks before a regex literal); fill the inside.
    inner_start = match.start(match.lastgroup) - match.start() + 1
    return token[:inner_start] + _fill(token[inner_start:-1], STRING_FILL) + token[-1]


def _fill(token: str, filler: str) -> str:
    if "\n" not in token:
        return filler * len(token)
    return _NOT_NEWLINE.sub(filler, token)


def load_scripts(package: Package) -> list[Script]:
    """The shipped script files whose content was kept."""
    scripts = []
    for name in package.shipped:
        if extension(name) in SCRIPT_EXTENSIONS:
            text = package.text(name)
            if text is not None:
                scripts.append(Script(name, text))
    return scripts
