"""Search the text of a version's files: what a reviewer looks for across a package (a domain, `request(`,
a key's prefix), which the browser's find could only do in the one file page open.

Reads through `PackageReader` (members the scanner accepted, each at most CODE_VIEWER_MAX_BYTES), skips
images and binaries, and stops at MAX_HITS matches or MAX_BYTES read, saying so. A result is cached for an
hour per package and query: a package never changes once stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from programs.codeview import render
from programs.codeview.documents import cache_key
from programs.codeview.reading import MemberUnavailable, PackageReader, manifest
from programs.scanning.package import IMAGE_EXTENSIONS, extension

QUERY_MIN, QUERY_MAX = 2, 100
MAX_HITS = 300
MAX_BYTES = 48 * 1024 * 1024  # read in all: a 30 MB WeChat package's text fits
CONTEXT = 60  # characters shown either side of a match
# An hour, not the viewer's week: every query typed is a cache entry (up to 300 matches), and searching again
# costs little (160 ms for the WeChat demo's 2,990 files).
SEARCH_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class Hit:
    line: int
    before: str
    match: str
    after: str


@dataclass
class FileHits:
    path: str
    hits: list[Hit] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    files: list[FileHits] = field(default_factory=list)
    files_searched: int = 0
    stopped: str = ""  # "hits" or "bytes" when the search stopped before the end

    @property
    def hit_count(self) -> int:
        return sum(len(f.hits) for f in self.files)


def search_package(version, query: str) -> SearchResult:
    """Case-insensitive matches of `query` (plain text, not a pattern) in the version's text files."""
    key = cache_key("search", version.package_sha256, settings.CODE_VIEWER_MAX_BYTES, query)
    found = cache.get(key)
    if found is None:
        found = _search(version, query)
        cache.set(key, found, SEARCH_CACHE_SECONDS)
    return found


def _search(version, query: str) -> SearchResult:
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    result, read, hits = SearchResult(query), 0, 0
    with PackageReader(version) as reader:
        for path in sorted(manifest(version.scan_report)):
            if extension(path) in IMAGE_EXTENSIONS:
                continue
            if read >= MAX_BYTES or hits >= MAX_HITS:
                result.stopped = "hits" if hits >= MAX_HITS else "bytes"
                break
            try:
                member = reader.read(path, limit=settings.CODE_VIEWER_MAX_BYTES)
            except MemberUnavailable:
                continue
            read += len(member.data)
            if render.kind_of(path, member.data) != "text":
                continue
            result.files_searched += 1
            text, _encoding = render.decode(member.data, complete=not member.truncated)
            file_hits = _hits(text, pattern, MAX_HITS - hits)
            if file_hits:
                result.files.append(FileHits(path, file_hits))
                hits += len(file_hits)
    return result


def _hits(text: str, pattern: re.Pattern, room: int) -> list[Hit]:
    """At most `room` matches, each with its line and a snippet of that line around it. The line's ends are
    looked for only within the snippet: on a 4 MB minified line, each match scanned the whole line."""
    hits, line, counted_to = [], 1, 0
    for match in pattern.finditer(text):
        if len(hits) >= room:
            break
        start, end = match.span()
        line += text.count("\n", counted_to, start)
        counted_to = start
        lead = max(0, start - CONTEXT)
        newline = text.rfind("\n", lead, start)
        cut = lead and text[lead - 1] != "\n"  # the line goes on before the snippet
        before = text[newline + 1:start] if newline >= 0 else ("…" if cut else "") + text[lead:start]
        tail = min(len(text), end + CONTEXT)
        newline = text.find("\n", end, tail)
        cut = tail < len(text) and text[tail] != "\n"  # the line goes on after the snippet
        after = text[end:newline] if newline >= 0 else text[end:tail] + ("…" if cut else "")
        hits.append(Hit(line, before.lstrip(), text[start:end], after.rstrip()))
    return hits
