"""JavaScript sources and the one question pattern checks ask: is this offset code, string or comment?

Sources are kept as the UTF-8 bytes of the archive: decoding would cost a pass, and regular
expressions run faster over bytes than over text with CJK characters (which Python stores two
bytes wide). Offsets are byte offsets; columns in findings are counted in characters.

Checks find candidates with literal-anchored regular expressions over the raw text (fast: the regex
engine skips to the literal), then ask `Script.context(offset)` for each candidate. Answering that
does not tokenize the file: block comments are located once (`/*` only counts where it is itself
code), and a candidate's line is tokenized only when the text before it on that line has a quote or
a slash; lines without one are code. This keeps the classic false positives out (`eval(` in a
comment, a `"wx.getLocation"` log message) at a cost that grows with the candidates, not the file.

Lines are what the code viewer shows: they end at LF, CRLF and a lone CR (not at U+2028/U+2029,
which the viewer leaves inside a line). A `//` comment ends at any JavaScript line terminator (LF,
CR, U+2028, U+2029): whatever follows one runs.

A template literal's `${...}` parts are code (`${eval(s)}` runs), its text is string.

Known blind spots, accepted for speed: a line inside a multi-line template literal is treated as
code, and a `/` starts a regex literal only after an operator or `return`/`typeof`.
"""

from __future__ import annotations

import bisect
import functools
import re

from .codes import new_finding
from .findings import Finding
from .package import SCRIPT_EXTENSIONS, UTF8_BOM, Member, Package, extension

CODE, STRING, COMMENT = "code", "string", "comment"
# Longer line prefixes go straight to the (cached) line tokens instead of being copied and searched.
FAST_PATH_CHARS = 256
MAX_COLUMN_BYTES = 100_000  # columns beyond this on one line are counted in bytes, not decoded

# A compiled literal is found faster by the regex engine than by bytes.find for two-byte needles.
_COMMENT_OPENING = re.compile(rb"/\*")
_LINE_TOKEN_ALTERNATIVES = r"""
      (?P<comment>//(?:[^\r\n\xe2]|\xe2(?!\x80[\xa8\xa9]))*|/\*.*?(?:\*/|\Z))
    | (?P<string>"[^"\\]*(?:\\.[^"\\]*)*(?:"|\Z)
        |'[^'\\]*(?:\\.[^'\\]*)*(?:'|\Z))
    | (?P<template>`)
    | (?:(?<=[(,=:\[!&|?{};])|(?<=return)|(?<=typeof))[ \t]*
      (?P<regex>/(?![*/])[^/\\\[]*(?:(?:\\.|\[(?:[^\]\\]|\\.)*\])[^/\\\[]*)*/)
"""
_LINE_TOKENS = re.compile(_LINE_TOKEN_ALTERNATIVES.encode(), re.VERBOSE)
# Inside a template literal's `${...}` the braces are counted to find the `}` that closes it.
_INTERPOLATION_TOKENS = re.compile(_LINE_TOKEN_ALTERNATIVES.encode() + rb"| (?P<open>\{) | (?P<close>\})", re.VERBOSE)
# A template literal's text, from its opening backtick (or the `}` ending an interpolation) to the
# closing backtick or the next `${`.
_TEMPLATE_TEXT = re.compile(rb"[^`\\$]*(?:(?:\\.|\$(?!\{))[^`\\$]*)*(?:`|\$\{|\Z)")
# The code viewer's line breaks (see `codeview.render.decode`); only files with a lone CR need them.
_VIEWER_LINE_BREAK = re.compile(rb"\r\n?|\n")


class Script:
    """One source file (UTF-8 bytes) with lazily built indexes for positions and context."""

    def __init__(self, name: str, text: bytes | str) -> None:
        self.name = name
        self.text = text.encode() if isinstance(text, str) else text
        self._blocks: list[tuple[int, int]] = []  # block comments found so far, in order
        self._block_starts: list[int] = []
        self._blocks_scanned = 0  # block comments are known up to this offset
        self._lines: dict[int, list[tuple[int, int, str]]] = {}
        self._line_cursor = (0, 1)  # (offset, line) of the last position asked for
        self._start_cursor = (0, 0)  # (offset, start of its line) of the last line start asked for
        self._api_uses: dict[str, list[tuple[int, str, int]]] = {}
        self._viewer_line_starts: list[int] | None = None  # built on demand, only for files with a lone CR

    def api_uses(self, namespace: str, names: frozenset[str]) -> list[tuple[int, str, int]]:
        """(start, name, end) of each `namespace.name` access for `names`, e.g. `wx.request` or `wx['request']`.

        One pass per namespace finds every name registered with `track_apis` (the privacy and
        network checks share it); the pattern starts with the namespace literal, so the regex
        engine jumps between occurrences. Callers still ask `is_code` for the matches they use.
        """
        if namespace not in self._api_uses:
            pattern = _member_pattern(namespace, frozenset(TRACKED_APIS))
            self._api_uses[namespace] = [
                (match.start(), _used_name(match), match.end()) for match in pattern.finditer(self.text)
                if not follows_identifier(self.text, match.start())]
        return [use for use in self._api_uses[namespace] if use[1] in names]

    # --- positions -------------------------------------------------------------------------------

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and character column; counts newlines from the previous answer onwards."""
        if self._has_lone_carriage_return():
            line, line_start = self._viewer_line(offset)
        else:
            line, line_start = self._newline_line(offset), self._line_start(offset)
        if offset - line_start > MAX_COLUMN_BYTES:
            return line, offset - line_start + 1
        return line, len(self.text[line_start:offset].decode("utf-8", errors="replace")) + 1

    def _newline_line(self, offset: int) -> int:
        last_offset, last_line = self._line_cursor
        if offset >= last_offset:
            line = last_line + self.text.count(b"\n", last_offset, offset)
        else:
            line = self.text.count(b"\n", 0, offset) + 1
        self._line_cursor = (offset, line)
        return line

    def _has_lone_carriage_return(self) -> bool:
        """Whether a CR not followed by LF (old Mac line ends, or a trick to end a `//` comment) is in the file."""
        if self._viewer_line_starts is None and b"\r" in self.text:
            if self.text.count(b"\r") == self.text.count(b"\r\n"):
                self._viewer_line_starts = []
            else:
                self._viewer_line_starts = [0] + [match.end() for match in _VIEWER_LINE_BREAK.finditer(self.text)]
        return bool(self._viewer_line_starts)

    def _viewer_line(self, offset: int) -> tuple[int, int]:
        """(line, start of that line) counted as the code viewer counts them, CR alone included."""
        starts = self._viewer_line_starts or [0]
        line = bisect.bisect_right(starts, offset)
        return line, starts[line - 1]

    def _line_start(self, offset: int) -> int:
        """Start of the line holding `offset`, without rescanning a long line for every question.

        Questions come in (nearly) increasing order, so the previous answer still holds when no
        newline lies between the two offsets; a minified one-line bundle then costs one pass
        instead of one pass per candidate.
        """
        last_offset, last_start = self._start_cursor
        low, high = min(offset, last_offset), max(offset, last_offset)
        if last_start <= offset and self.text.find(b"\n", low, high) < 0:
            start = last_start
        else:
            start = self.text.rfind(b"\n", 0, offset) + 1
        self._start_cursor = (offset, start)
        return start

    def finding(self, code: str, message: str, offset: int, params: dict[str, object] | None = None) -> Finding:
        line, column = self.position(offset)
        return new_finding(code, message, file=self.name, line=line, column=column, params=params)

    # --- context ---------------------------------------------------------------------------------

    def context(self, offset: int) -> str:
        """Whether the character at `offset` is code, inside a string/regex literal, or in a comment."""
        if self._in_block_comment(offset):
            return COMMENT
        line_start = self._line_start(offset)
        if offset - line_start <= FAST_PATH_CHARS and not _may_hold_literals(self.text[line_start:offset]):
            return CODE
        return self._line_context(line_start, offset)

    def is_code(self, offset: int) -> bool:
        return self.context(offset) == CODE

    def _line_context(self, line_start: int, offset: int) -> str:
        token = self._token_at(line_start, offset)
        return token[2] if token else CODE

    def _token_at(self, line_start: int, offset: int) -> tuple[int, int, str] | None:
        """The comment or literal token (delimiters included) covering `offset` on its line."""
        tokens = self._lines.get(line_start)
        if tokens is None:
            line_end = self.text.find(b"\n", line_start)
            tokens = self._tokens(line_start, len(self.text) if line_end < 0 else line_end)
            self._lines[line_start] = tokens
        index = bisect.bisect_right(tokens, (offset, float("inf"), "")) - 1
        if index >= 0 and tokens[index][0] <= offset < tokens[index][1]:
            return tokens[index]
        return None

    def _tokens(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """Comments and literals of one line, in order; a template's `${...}` parts are code, not string."""
        tokens: list[tuple[int, int, str]] = []
        open_braces: list[int] = []  # per `${` not yet closed, the `{` opened inside it and not yet closed
        position = start
        while match := (_INTERPOLATION_TOKENS if open_braces else _LINE_TOKENS).search(self.text, position, end):
            kind, position = match.lastgroup, match.end()
            if kind == "open":
                open_braces[-1] += 1
            elif kind == "close" and open_braces[-1]:
                open_braces[-1] -= 1
            elif kind in ("template", "close"):
                if kind == "close":
                    open_braces.pop()
                position = self._template_text(match.start(), end, tokens, open_braces)
            else:
                tokens.append((match.start(kind), position, COMMENT if kind == "comment" else STRING))
        return tokens

    def _template_text(self, opening: int, end: int, tokens: list, open_braces: list[int]) -> int:
        """Add the template text after `opening` (a backtick or an interpolation's `}`) as a string token."""
        text_end = _TEMPLATE_TEXT.match(self.text, opening + 1, end).end()
        tokens.append((opening, text_end, STRING))
        if self.text.endswith(b"${", opening, text_end):
            open_braces.append(0)
        return text_end

    def _in_block_comment(self, offset: int) -> bool:
        self._scan_block_comments(offset)
        index = bisect.bisect_right(self._block_starts, offset) - 1
        return index >= 0 and offset < self._blocks[index][1]

    def _scan_block_comments(self, until: int) -> None:
        """Find `/* ... */` spans opening before `until`, continuing where the last call stopped.

        A `/*` only opens a comment where it is itself code (so `'src/**/*.js'` opens nothing).
        """
        position = self._blocks_scanned
        while position <= until and (opening := _COMMENT_OPENING.search(self.text, position, until + 2)):
            start = opening.start()
            if not self._opens_comment(start):
                position = start + 2
                continue
            end = self.text.find(b"*/", start + 2)
            end = len(self.text) if end < 0 else end + 2
            self._blocks.append((start, end))
            self._block_starts.append(start)
            position = end
        self._blocks_scanned = max(self._blocks_scanned, position, until + 1)

    def _opens_comment(self, start: int) -> bool:
        line_start = self._line_start(start)
        if start - line_start <= FAST_PATH_CHARS and not _may_hold_literals(self.text[line_start:start]):
            return True
        token = self._token_at(line_start, start)
        return token is None or token[0] == start


TRACKED_APIS: set[str] = set()


def track_apis(names) -> frozenset[str]:
    """Register API names (`request`, `getLocation` ...) that checks look up with `Script.api_uses`."""
    TRACKED_APIS.update(names)
    return frozenset(names)


@functools.lru_cache(maxsize=16)
def _member_pattern(namespace: str, names: frozenset[str]) -> re.Pattern:
    """`wx.request`, and `wx['req' + 'uest']`: a computed key of literals names the API as plainly."""
    alternatives = literal_alternation(name.encode() for name in names)
    return re.compile(
        re.escape(namespace).encode() + rb"\s*(?:\.\s*(" + alternatives + rb")(?![\w$])|" + LITERAL_KEY + rb")")


def _used_name(match: re.Match) -> str:
    return match.group(1).decode() if match.group(1) else folded_key(match.group(2))


# A string literal without interpolations, and a computed member key made of such literals joined by
# `+` (`['ev' + 'al']`): its value is known without running anything, so it names a member as plainly
# as `.eval` does. Group 1 is the key's literals.
_KEY_LITERAL = rb"""'[^'\\\n]*(?:\\.[^'\\\n]*)*'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"|`[^`\\$]*(?:\\.[^`\\$]*)*`"""
LITERAL_KEY = rb"\[\s*((?:" + _KEY_LITERAL + rb")(?:\s*\+\s*(?:" + _KEY_LITERAL + rb"))*)\s*\]"
_KEY_PIECE = re.compile(_KEY_LITERAL)
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|u\{([0-9A-Fa-f]{1,6})\}|(.))", re.DOTALL)


def folded_key(literals: bytes) -> str:
    """The value of literals joined by `+` (LITERAL_KEY's group), with `\\x65`-style escapes resolved."""
    value = b"".join(piece.group()[1:-1] for piece in _KEY_PIECE.finditer(literals)).decode("utf-8", errors="replace")
    return _ESCAPE.sub(_unescaped, value) if "\\" in value else value


def _unescaped(escape: re.Match) -> str:
    code = escape.group(1) or escape.group(2) or escape.group(3)
    return chr(min(int(code, 16), 0x10FFFF)) if code else escape.group(4)


def literal_alternation(words) -> bytes:
    """Literal byte strings as one regex alternation shaped like a prefix tree: `l(?:ave|avretnItes)`.

    The regex engine tries the branches of a flat alternation one by one at every candidate; in a
    tree each byte is tested once. It matches what the flat alternation with the longest words
    first matches (a word that is a prefix of another becomes an optional tail, tried first).
    """
    return _prefix_tree(sorted(set(words)))


def _prefix_tree(words: list[bytes]) -> bytes:
    by_first: dict[bytes, list[bytes]] = {}
    for word in words:
        if word:
            by_first.setdefault(word[:1], []).append(word[1:])
    branches = [re.escape(first) + _prefix_tree(tails) for first, tails in by_first.items()]
    if not branches:
        return b""
    tree = branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"
    return b"(?:" + tree + b")?" if b"" in words else tree


def _may_hold_literals(before: bytes) -> bool:
    """Whether text before a position on its line could open a string, regex or comment."""
    return b"'" in before or b'"' in before or b"`" in before or b"/" in before


# Bytes that continue an identifier or a member access; every byte of a UTF-8 sequence counts,
# since JavaScript identifiers may be written in any script.
# The bytes of a name (UTF-8 bytes of other scripts' letters included), and of a name or a member access.
NAME_BYTES = frozenset(byte for byte in range(256) if byte >= 0x80 or chr(byte).isalnum() or chr(byte) in "_$")
_IDENTIFIER_BYTES = NAME_BYTES | frozenset(b".")


# Non-ASCII characters that JavaScript reads as white space or a line end, not as part of a name.
_NON_ASCII_SPACES = frozenset("\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
                              "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")


def follows_identifier(text: bytes, offset: int) -> bool:
    """True when `offset` continues an identifier or a member access (`foo.eval`, `myeval`)."""
    if offset == 0 or text[offset - 1] not in _IDENTIFIER_BYTES:
        return False
    return text[offset - 1] < 0x80 or _character_before(text, offset) not in _NON_ASCII_SPACES


def _character_before(text: bytes, offset: int) -> str:
    """The UTF-8 character ending at `offset` (a continuation byte is 0b10xxxxxx)."""
    start = offset - 1
    while start > max(0, offset - 4) and text[start] & 0xC0 == 0x80:
        start -= 1
    return text[start:offset].decode("utf-8", errors="replace")


def source_of(package: Package, name: str) -> Script | None:
    """The member as a Script (its kept bytes, BOM dropped), or None if its content was not kept."""
    member = package.members.get(name)
    if member is None or member.data is None:
        return None
    return member_script(member)


def member_script(member: Member) -> Script:
    """A kept member as a Script, BOM dropped (so offsets agree wherever it is made)."""
    data = member.data or b""
    return Script(member.name, data[len(UTF8_BOM):] if data.startswith(UTF8_BOM) else data)


def load_scripts(package: Package) -> list[Script]:
    """The shipped script files whose content was kept."""
    scripts = []
    for name in package.shipped:
        if extension(name) in SCRIPT_EXTENSIONS and (script := source_of(package, name)) is not None:
            scripts.append(script)
    return scripts
