"""Text to display rows: decoding, wrapping, pages and Pygments highlighting. No I/O.

A file is cut into *rows*: one per line, except that a line longer than `WRAP` characters is broken
into several rows of at most `WRAP` characters, cut at statement ends chosen by the content (a 2 MB
minified line becomes ~6,000 rows, not one DOM node the browser must lay out whole). Rows are grouped into *pages* of at most `PAGE_ROWS` rows and
`PAGE_CHARS` characters, and only the requested page is highlighted, so the HTML of one page is
bounded whatever the file.
"""

from __future__ import annotations

import codecs
import html
import io
import re
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext_noop as _noop
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from programs.scanning.package import IMAGE_EXTENSIONS, TEXT_EXTENSIONS, UTF8_BOM, extension

WRAP = 1000  # characters per row, at most
MIN_ROW = 80
_MARKS = re.compile(r"[;},]")
PAGE_ROWS = 1000
PAGE_CHARS = 64 * 1024
SNIFF_BYTES = 8192
# Pygments lexer by extension: the mini-program dialects' own extensions included.
LEXERS = {
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".sjs": "javascript", ".wxs": "javascript",
    ".ts": "typescript", ".json": "json", ".map": "json",
    ".axml": "html", ".wxml": "html", ".ttml": "html", ".swan": "html", ".html": "html", ".htm": "html",
    ".xml": "xml", ".svg": "xml",
    ".acss": "css", ".wxss": "css", ".ttss": "css", ".css": "css", ".less": "less", ".scss": "scss",
    ".md": "markdown", ".yml": "yaml", ".yaml": "yaml", ".env": "bash", ".npmrc": "ini",
}
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
               ".webp": "image/webp", ".bmp": "image/bmp"}
MAGIC = [  # (prefix, what a reader is told the binary is: marked for the catalog, translated when shown)
    (b"PK\x03\x04", _noop("zip archive")), (b"\x1f\x8b", _noop("gzip data")),
    (b"7z\xbc\xaf\x27\x1c", _noop("7-Zip archive")), (b"Rar!", _noop("RAR archive")),
    (b"wOF2", _noop("WOFF2 font")), (b"wOFF", _noop("WOFF font")), (b"\x00\x01\x00\x00", _noop("TrueType font")),
    (b"OTTO", _noop("OpenType font")), (b"\x7fELF", _noop("ELF executable")), (b"MZ", _noop("Windows executable")),
    (b"\x00asm", _noop("WebAssembly module")), (b"%PDF", _noop("PDF document")), (b"ID3", _noop("MP3 audio")),
    (b"OggS", _noop("Ogg media")), (b"RIFF", _noop("RIFF media (WAV, AVI or WebP)")),
    (b"\x89PNG", _noop("PNG image")), (b"\xff\xd8\xff", _noop("JPEG image")), (b"GIF8", _noop("GIF image")),
]


@dataclass(frozen=True)
class Row:
    """One display row: the line it belongs to, whether it continues that line, its HTML."""

    line: int
    cont: bool
    html: str


@dataclass(frozen=True)
class Page:
    first_row: int
    end_row: int  # exclusive
    first_line: int
    last_line: int


# ---------------------------------------------------------------- what kind of file


def kind_of(path: str, data: bytes) -> str:
    """"image" (previewed), "text" (highlighted) or "binary" (described)."""
    ext = extension(path)
    if ext in IMAGE_EXTENSIONS:
        return "image"
    head = data[:SNIFF_BYTES]
    if ext in TEXT_EXTENSIONS or ext in LEXERS:
        return "binary" if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) else "text"
    if b"\x00" in head:
        return "binary"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return "text" if error.start >= len(head) - 3 else "binary"  # a character cut at the sniff's end
    return "text"


def describe_binary(data: bytes) -> str:
    return next((what for prefix, what in MAGIC if data.startswith(prefix)), "")


def decode(data: bytes, *, complete: bool = True) -> tuple[str, str]:
    """(text with \\n line ends, encoding name). UTF-8 first, then GB 18030 (common in Chinese projects).

    With `complete=False` (the bytes were cut at the read limit) a character cut at the end is dropped.
    """
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = codecs.getincrementaldecoder(encoding)().decode(data, final=complete)
            break
        except UnicodeDecodeError:
            continue
    else:
        text, encoding = data.decode("utf-8", errors="replace"), "utf-8 (with replacements)"
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def lexer_name(path: str) -> str:
    return LEXERS.get(extension(path), "text")


# ---------------------------------------------------------------- rows and pages


def row_spans(text: str) -> list[tuple[int, int, int]]:
    """(line number, start, end) of every row; a trailing newline does not make an empty last line."""
    if text.endswith("\n"):
        text = text[:-1]
    spans, start, line = [], 0, 1
    for piece in text.split("\n"):
        end = start + len(piece)
        spans += [(line, a, b) for a, b in _wrapped(text, start, end)]
        start, line = end + 1, line + 1
    return spans


def _wrapped(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A long line's rows, cut where the content says (content-defined chunking, as rsync does): after a
    `;`, `}` or `,` whose preceding characters hash to 0 mod 16, once the row has MIN_ROW characters; a
    row with no such point by WRAP characters is cut there. Rows therefore depend on the text, not on the
    offset: an edit in a minified file changes the rows around it, not every row after it, so the diff of
    a one-statement change stays a few rows long."""
    if end - start <= WRAP:
        return [(start, end)]
    rows, at = [], start
    for mark in _MARKS.finditer(text, start, end):
        stop = mark.end()
        while stop - at > WRAP:
            rows.append((at, at + WRAP))
            at += WRAP
        if stop - at >= MIN_ROW and zlib.crc32(text[stop - 16:stop].encode("utf-8", "surrogatepass")) & 15 == 0:
            rows.append((at, stop))
            at = stop
    while end - at > WRAP:
        rows.append((at, at + WRAP))
        at += WRAP
    rows.append((at, end))
    return rows


def paginate(spans: list[tuple[int, int, int]]) -> list[Page]:
    pages, first, chars = [], 0, 0
    for index, (_line, start, end) in enumerate(spans):
        if index > first and (index - first >= PAGE_ROWS or chars + end - start > PAGE_CHARS):
            pages.append(Page(first, index, spans[first][0], spans[index - 1][0]))
            first, chars = index, 0
        chars += end - start + 1
    pages.append(Page(first, len(spans), spans[first][0], spans[-1][0]))
    return pages


def page_of_line(pages: list[Page], line: int) -> int:
    """The index of the page where `line` starts (the last page for a line past the end)."""
    for index, page in enumerate(pages):
        if line <= page.last_line:
            return index
    return len(pages) - 1


# ---------------------------------------------------------------- highlighting


def highlight_rows(text: str, spans: list[tuple[int, int, int]], lexer: str) -> list[Row]:
    """The rows `spans` (consecutive, from `row_spans(text)`) as HTML, highlighted as one piece of text."""
    if not spans:
        return []
    base, stop = spans[0][1], spans[-1][2]
    breaks = [start - base for _line, start, _end in spans[1:]]
    conts = [False] + [spans[i][0] == spans[i - 1][0] for i in range(1, len(spans))]
    pieces = _highlighted_lines(text[base:stop], breaks, conts, lexer)
    if pieces is None or len(pieces) < len(spans):
        pieces = [html.escape(text[start:end]) for _line, start, end in spans]
    return [Row(line, cont, piece) for (line, _s, _e), cont, piece in zip(spans, conts, pieces)]


def _highlighted_lines(chunk: str, breaks: list[int], conts: list[bool], lexer: str) -> list[str] | None:
    """Highlight `chunk` and split the HTML at the row starts; a continuation row starts mid-line, so a
    newline is inserted there in the token stream (never in the text the lexer sees)."""
    try:
        tokens = get_lexer_by_name(lexer, stripnl=False, ensurenl=False).get_tokens_unprocessed(chunk)
    except ClassNotFound:
        return None
    cuts = [at for at, cont in zip(breaks, conts[1:]) if cont]
    out = io.StringIO()
    try:
        HtmlFormatter(nowrap=True).format(_cut(tokens, cuts), out)
    except Exception:  # noqa: BLE001 - a lexer bug on odd input must not lose the file: plain rows instead
        return None
    return out.getvalue().split("\n")


def _cut(tokens, cuts: list[int]):
    """Yield (type, value) pairs with a newline inserted at each offset of `cuts` (ascending)."""
    position = iter(cuts)
    nxt = next(position, None)
    for offset, kind, value in tokens:
        while nxt is not None and offset <= nxt < offset + len(value):
            head, value = value[: nxt - offset], value[nxt - offset:]
            if head:
                yield kind, head
            yield kind, "\n"
            offset, nxt = nxt, next(position, None)
        if value:
            yield kind, value


def stylesheet(selector: str = ".code") -> str:
    """The CSS for the highlighted rows (static/css/pygments.css is generated from this)."""
    # Token rules only: the formatter's `pre` and line-number rules would restyle the whole console.
    return "\n".join(HtmlFormatter(style="default").get_token_style_defs(selector)) + "\n"
