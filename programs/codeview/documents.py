"""What the code viewer's pages and API show, read from the stored package on demand and cached.

Rendered pages are cached in the Django cache by the member's SHA-256 (from the scan's manifest) and
lexer, so a file unchanged between versions is rendered once, and a second look reads nothing from
storage. Members without a recorded hash fall back to (package hash, path).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

from programs.codeview import render
from programs.codeview.diffing import ContentDiff, content_diff
from programs.codeview.reading import MemberBytes, MemberUnavailable, PackageReader, manifest
from programs.codeview.tree import FileMarks, file_marks
from programs.scanning.privacy import PRIVATE_APIS

CACHE_VERSION = 1
HEX_PREVIEW_BYTES = 256
MARK_FILES = 300  # files read for the changes list's permission and domain markers
MARK_BYTES = 1024 * 1024


def cache_key(*parts) -> str:
    raw = ":".join(str(part) for part in parts)
    return f"codeview:{CACHE_VERSION}:" + hashlib.sha256(raw.encode()).hexdigest()


def _content_id(version, path: str) -> str:
    entry = manifest(version.scan_report).get(path) or {}
    return entry.get("sha256") or f"{version.package_sha256}:{path}"


def read_member(version, path: str, *, limit: int | None = None) -> MemberBytes:
    with PackageReader(version) as reader:
        return reader.read(path, limit=limit or settings.CODE_VIEWER_MAX_BYTES)


# ---------------------------------------------------------------- one file


@dataclass
class FileDocument:
    path: str
    size: int
    sha256: str
    kind: str  # text, image, binary
    encoding: str = ""
    truncated: bool = False  # only the first CODE_VIEWER_MAX_BYTES were read
    description: str = ""  # binaries: what the first bytes say the file is
    dimensions: str = ""  # images: "81 × 81" (px), read from the header; "" when it cannot be read
    hex_preview: list[tuple[str, str, str]] = field(default_factory=list)  # (offset, hex, ascii)
    pages: list[render.Page] = field(default_factory=list)
    page: int = 0
    rows: list[render.Row] = field(default_factory=list)
    lines: int = 0

    @property
    def description_text(self) -> str:
        from django.utils.translation import gettext

        return gettext(self.description) if self.description else ""

    @property
    def current(self) -> render.Page | None:
        return self.pages[self.page] if self.pages else None


def file_document(version, path: str, *, page: int | None = None, line: int | None = None) -> FileDocument:
    """The file `path` of `version` with one page of rows: `page` (0-based), else the page where `line`
    starts, else the first. Raises MemberUnavailable for anything the scanner did not accept."""
    entry = manifest(version.scan_report).get(path)
    if entry is None:
        raise MemberUnavailable(path)
    lexer = render.lexer_name(path)
    doc_key = cache_key("doc", _content_id(version, path), lexer, settings.CODE_VIEWER_MAX_BYTES)
    meta, laid_out = cache.get(doc_key), None
    if meta is None:
        meta, laid_out = _describe(read_member(version, path))
        cache.set(doc_key, meta, settings.CODE_VIEWER_CACHE_SECONDS)
    document = FileDocument(path=path, size=entry["size"], sha256=entry["sha256"], **meta)
    if document.kind != "text" or not document.pages:
        return document
    document.page = _page_index(document.pages, page, line)
    document.rows = _page_rows(version, path, lexer, doc_key, document, laid_out)
    return document


def _describe(member: MemberBytes) -> tuple[dict, tuple[str, list] | None]:
    """The cached description of a file, and for text its decoded text and rows (this request's page needs them)."""
    kind = render.kind_of(member.path, member.data)
    meta = {"kind": kind, "truncated": member.truncated}
    if kind == "binary":
        meta.update(description=render.describe_binary(member.data), hex_preview=_hex(member.data))
    if kind == "image":
        meta["dimensions"] = _image_dimensions(member.data)
    if kind != "text":
        return meta, None
    text, meta["encoding"] = render.decode(member.data, complete=not member.truncated)
    spans = render.row_spans(text)
    meta.update(pages=render.paginate(spans), lines=spans[-1][0])
    return meta, (text, spans)


def _image_dimensions(data: bytes) -> str:
    """Width × height from the image's header (nothing is decoded); reviewers check tab icons' sizes."""
    from io import BytesIO

    from PIL import Image

    try:
        with Image.open(BytesIO(data)) as image:
            return f"{image.width} × {image.height}"
    except Exception:  # noqa: BLE001 - SVG, a truncated or hostile header: the page shows the bytes alone
        return ""


def _laid_out(member: MemberBytes) -> tuple[str, list]:
    text, _encoding = render.decode(member.data, complete=not member.truncated)
    return text, render.row_spans(text)


def _page_index(pages: list[render.Page], page: int | None, line: int | None) -> int:
    if page is not None:
        return max(0, min(page, len(pages) - 1))
    return render.page_of_line(pages, line) if line else 0


def _page_rows(version, path, lexer, doc_key, document: FileDocument, laid_out: tuple | None) -> list:
    key = f"{doc_key}:page:{document.page}"
    rows = cache.get(key)
    if rows is None:
        text, spans = laid_out or _laid_out(read_member(version, path))
        current = document.current
        rows = render.highlight_rows(text, spans[current.first_row:current.end_row], lexer)
        cache.set(key, rows, settings.CODE_VIEWER_CACHE_SECONDS)
    return rows


def _hex(data: bytes) -> list[tuple[str, str, str]]:
    head = data[:HEX_PREVIEW_BYTES]
    return [(f"{at:08x}", " ".join(f"{b:02x}" for b in head[at:at + 16]),
             "".join(chr(b) if 32 <= b < 127 else "." for b in head[at:at + 16])) for at in range(0, len(head), 16)]


# ---------------------------------------------------------------- findings on a page


def findings_of(version, path: str) -> list[dict]:
    findings = (version.scan_report or {}).get("findings") if isinstance(version.scan_report, dict) else None
    return [f for f in findings or [] if isinstance(f, dict) and f.get("file") == path]


def findings_by_line(findings: list[dict]) -> tuple[dict[int, list[dict]], list[dict]]:
    """({line: findings}, findings of the whole file)."""
    by_line: dict[int, list[dict]] = {}
    general = []
    for finding in findings:
        line = finding.get("line")
        if isinstance(line, int) and line > 0:
            by_line.setdefault(line, []).append(finding)
        else:
            general.append(finding)
    return by_line, general


# ---------------------------------------------------------------- the changes since the release


@dataclass
class ChangedFile:
    path: str
    change: str  # added, changed, removed
    old_size: int | None
    new_size: int | None
    marks: FileMarks
    new_findings: int = 0
    permissions: list[str] = field(default_factory=list)  # new permissions this file's new content names
    domains: list[str] = field(default_factory=list)  # new domains this file's new content names


def changed_files(version, released, diff) -> list[ChangedFile]:
    """Added, changed, then removed files, with their findings and what new permissions and domains they name."""
    report = version.scan_report if isinstance(version.scan_report, dict) else {}
    changes = {f.path: "added" for f in diff.files_added} | {f.path: "changed" for f in diff.files_changed}
    marks = file_marks(report.get("findings") or [], changes)
    old_findings = _finding_keys(released)
    new_findings: dict[str, int] = {}
    for key in _finding_keys(version) - old_findings:
        new_findings[key[0]] = new_findings.get(key[0], 0) + 1
    rows = [ChangedFile(f.path, "added", None, f.new_size, marks[f.path]) for f in diff.files_added]
    rows += [ChangedFile(f.path, "changed", f.old_size, f.new_size, marks[f.path]) for f in diff.files_changed]
    for row in rows:
        row.new_findings = new_findings.get(row.path, 0)
    rows += [ChangedFile(f.path, "removed", f.old_size, None, FileMarks(change="removed")) for f in diff.files_removed]
    _mark_terms(version, released, rows, _terms(diff))
    return rows


def _finding_keys(version) -> set[tuple]:
    """(file, code, message) of each finding: a finding the released version also had is not new."""
    if version is None or not isinstance(version.scan_report, dict):
        return set()
    return {(f.get("file"), f.get("code"), f.get("message")) for f in version.scan_report.get("findings") or []
            if isinstance(f, dict)}


def _terms(diff) -> dict[str, tuple[str, list[str]]]:
    """{term to look for: (kind, what it stands for)}: new permissions (and the APIs that need them), new domains."""
    terms: dict[str, tuple[str, list[str]]] = {}
    for permission in diff.permissions.added:
        apis = [name for name, api in PRIVATE_APIS.items() if permission == api.info or permission in (api.desc_scope, *api.scopes)]
        for term in [permission, *apis]:
            terms.setdefault(term, ("permission", []))[1].append(permission)
    for domain in diff.new_domains:
        terms.setdefault(domain, ("domain", []))[1].append(domain)
    return terms


def _mark_terms(version, released, rows: list[ChangedFile], terms: dict) -> None:
    if not terms:
        return
    wanted = [row for row in rows if row.change != "removed"][:MARK_FILES]
    key = cache_key("marks", version.package_sha256, released.package_sha256 if released else "", sorted(terms))
    found = cache.get(key)
    if found is None:
        found = _scan_terms(version, released, wanted, terms)
        cache.set(key, found, settings.CODE_VIEWER_CACHE_SECONDS)
    for row in wanted:
        row.permissions, row.domains = found.get(row.path, ([], []))


def _scan_terms(version, released, rows: list[ChangedFile], terms: dict) -> dict[str, tuple[list, list]]:
    found = {}
    with PackageReader(version) as new, PackageReader(released) if released else _Nothing() as old:
        for row in rows:
            after = _text(new, row.path)
            before = _text(old, row.path) if row.change == "changed" else ""
            hits = [term for term in terms if term in after and term not in before]
            permissions = sorted({p for t in hits if terms[t][0] == "permission" for p in terms[t][1]})
            domains = sorted({d for t in hits if terms[t][0] == "domain" for d in terms[t][1]})
            if permissions or domains:
                found[row.path] = (permissions, domains)
    return found


def _text(reader, path: str) -> str:
    try:
        member = reader.read(path, limit=MARK_BYTES)
    except MemberUnavailable:
        return ""
    if render.kind_of(path, member.data) != "text":
        return ""
    return render.decode(member.data, complete=not member.truncated)[0]


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def read(self, path, *, limit):
        raise MemberUnavailable(path)


# ---------------------------------------------------------------- one file's diff


@dataclass
class FileDiff:
    path: str
    change: str  # added, changed, removed
    kind: str  # text, image, binary
    old_size: int | None
    new_size: int | None
    content: ContentDiff | None = None  # text only


def file_diff(version, released, path: str) -> FileDiff:
    """The content diff of `path` between the released version (None: nothing released) and `version`."""
    new_entry = manifest(version.scan_report).get(path)
    old_entry = manifest(released.scan_report).get(path) if released else None
    if new_entry is None and old_entry is None:
        raise MemberUnavailable(path)
    change = "added" if old_entry is None else "removed" if new_entry is None else "changed"
    result = FileDiff(path, change, kind="text", old_size=old_entry and old_entry["size"],
                      new_size=new_entry and new_entry["size"])
    lexer = render.lexer_name(path)
    key = cache_key("diff", _content_id(released, path) if old_entry else "", _content_id(version, path) if new_entry else "",
               lexer, settings.CODE_VIEWER_MAX_BYTES)
    cached = cache.get(key)
    if cached is None:
        cached = _compute_diff(version if new_entry else None, released if old_entry else None, path, lexer)
        cache.set(key, cached, settings.CODE_VIEWER_CACHE_SECONDS)
    result.kind, result.content = cached
    return result


def _compute_diff(version, released, path: str, lexer: str) -> tuple[str, ContentDiff | None]:
    new = read_member(version, path) if version else None
    old = read_member(released, path) if released else None
    sample = (new or old).data
    kind = render.kind_of(path, sample)
    if kind != "text":
        return kind, None
    texts = [render.decode(m.data, complete=not m.truncated)[0] if m else None for m in (old, new)]
    return kind, content_diff(texts[0], texts[1], lexer)
