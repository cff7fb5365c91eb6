"""The code viewer's pages, written once and mounted twice: under the organisation's version page
(`version_code*`, below) and under the reviewer's review page (reviews/views.py). Each side resolves
the version through `programs.selectors.code_version_access` and passes the links of its own URLs."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from console.views.decorators import org_page
from programs import selectors
from programs.codeview import documents, search
from programs.codeview.reading import MemberUnavailable, PackageReader, manifest
from programs.codeview.render import IMAGE_TYPES
from programs.codeview.tree import file_marks, tree_items
from programs.scanning.messages import localized_finding
from programs.scanning.package import extension
from programs.views.access import version_in_org


@dataclass(frozen=True)
class CodeLinks:
    """The viewer's URLs for one version on one side (the organisation's or the reviewer's)."""

    browse: str
    changes: str
    raw: str
    back: str  # the version page or the review page
    back_label: str
    search: str


def org_links(org_slug: str, version) -> CodeLinks:
    args = [org_slug, version.program.appid, version.version]
    return CodeLinks(reverse("version_code", args=args), reverse("version_code_changes", args=args),
                     reverse("version_code_raw", args=args), reverse("version_detail", args=args),
                     _("Version %(v)s") % {"v": version.version}, reverse("version_code_search", args=args))


def _path(request) -> str:
    return request.GET.get("path", "")


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 9 else None


def _frame(version, links: CodeLinks, tab: str, extra: dict) -> dict:
    released = selectors.current_release(version.program)
    diff = extra["diff"]
    return {"version": version, "program": version.program, "links": links, "tab": tab,
            "released": released if released and released.pk != version.pk else None,
            "is_current_release": bool(released and released.pk == version.pk),
            "change_count": len(diff.files_added) + len(diff.files_changed) + len(diff.files_removed), **extra}


@dataclass(frozen=True)
class DisplayRow:
    """A row as the template shows it: the findings of its line follow the line's first row, where a jump to
    the line lands (a minified line wraps into dozens of rows; after the last they were pages away)."""

    row: object
    severity: str = ""  # the worst finding of the line, on the line's first row
    findings: tuple = ()


def display_rows(rows, by_line: dict[int, list[dict]], *, line_of=lambda row: row.line) -> list[DisplayRow]:
    shown = []
    for row in rows:
        line = line_of(row)
        found = by_line.get(line, []) if line else []
        first = line and not getattr(row, "cont", False)
        shown.append(DisplayRow(row, _worst(found) if first and found else "", tuple(found) if first else ()))
    return shown


@dataclass(frozen=True)
class SplitRow:
    """A side-by-side row: the old side (None when the line was added), the new side (None when removed)."""

    old: DisplayRow | None
    new: DisplayRow | None

    @property
    def kind(self) -> str:
        return (self.new or self.old).row.kind


def split_rows(items: list[DisplayRow]) -> list[SplitRow]:
    """Unified rows side by side: a run of removed rows faces the run of added rows that follows it."""
    rows: list[SplitRow] = []
    removed: list[DisplayRow] = []
    added: list[DisplayRow] = []

    def pair() -> None:
        for index in range(max(len(removed), len(added))):
            rows.append(SplitRow(removed[index] if index < len(removed) else None,
                                 added[index] if index < len(added) else None))
        removed.clear()
        added.clear()

    for item in items:
        if item.row.kind == "del":
            if added:
                pair()
            removed.append(item)
        elif item.row.kind == "add":
            added.append(item)
        else:
            pair()
            rows.append(SplitRow(item, item))
    pair()
    return rows


def _worst(findings: list[dict]) -> str:
    severities = {f.get("severity") for f in findings}
    return next((s for s in ("error", "warning", "notice") if s in severities), "notice")


def _findings(version, path: str) -> list[dict]:
    """The file's findings with their messages in the reader's language."""
    language = get_language()
    return [localized_finding(f, language) for f in documents.findings_of(version, path)] if path else []


# ---------------------------------------------------------------- the pages (shared by both sides)


def browse_page(request, version, links: CodeLinks, *, base: dict | None = None):
    """The file tree and, with ?path=, one file (?page= or ?line= picks its page); with ?tree=, one folder's
    items of a large package's tree, asked for when the folder is opened."""
    path, report = _path(request), version.scan_report if isinstance(version.scan_report, dict) else {}
    files = manifest(report)
    if "tree" in request.GET:
        return _tree_folder(request, version, links, files, report, path)
    document = None
    if path:
        try:
            document = documents.file_document(version, path, page=_int(request.GET.get("page")),
                                               line=_int(request.GET.get("line")))
        except MemberUnavailable:
            raise Http404 from None
    diff = selectors.diff_against_release(version)
    changes = _changes(diff)
    by_line, general = documents.findings_by_line(_findings(version, path))
    context = _frame(version, links, "files", {
        "path": path, "document": document,
        "tree": tree_items(files, file_marks(report.get("findings") or [], changes), path),
        "file_count": len(files), "file_findings": general,
        "rows": display_rows(document.rows, by_line) if document else [],
        "diff": diff, "change": changes.get(path, ""), **(base or {}),
    })
    return render(request, "programs/code/browse.html", context)


def _changes(diff) -> dict[str, str]:
    """Each file added or changed since the release; a first release's every file is new: no use marking them."""
    return {} if diff.first_release else (
        {f.path: "added" for f in diff.files_added} | {f.path: "changed" for f in diff.files_changed})


def _tree_folder(request, version, links: CodeLinks, files: dict, report: dict, path: str) -> HttpResponse:
    folder = request.GET["tree"]
    if not folder.endswith("/") or not any(name.startswith(folder) for name in files):
        raise Http404
    changes = _changes(selectors.diff_against_release(version))
    items = tree_items(files, file_marks(report.get("findings") or [], changes), path, folder=folder)
    return render(request, "programs/code/tree_items.html", {"items": items, "links": links, "path": path})


def changes_page(request, version, links: CodeLinks, released_links, *, base: dict | None = None):
    """The files changed since the program's current release, then the content diff of one of them."""
    released = selectors.current_release(version.program)
    released = released if released and released.pk != version.pk else None
    diff = selectors.diff_against_release(version, released)
    rows = documents.changed_files(version, released, diff)
    path = _path(request) or (rows[0].path if rows else "")
    file_diff, unreadable = None, False
    if path:
        if path not in {row.path for row in rows}:
            raise Http404
        try:
            file_diff = documents.file_diff(version, released, path)
        except MemberUnavailable:  # listed by the scan, but the stored package no longer yields it
            unreadable = True
    by_line, _general = documents.findings_by_line(_findings(version, path))
    diff_rows = []
    if file_diff and file_diff.content:
        diff_rows = display_rows(file_diff.content.rows, by_line, line_of=lambda row: row.new if row.kind != "del" else None)
    index = next((i for i, row in enumerate(rows) if row.path == path), 0)
    context = _frame(version, links, "changes", {
        "diff": diff, "rows": rows, "path": path, "file_diff": file_diff, "diff_rows": diff_rows, "unreadable": unreadable,
        "split": request.GET.get("layout") == "split",
        "split_rows": split_rows(diff_rows) if request.GET.get("layout") == "split" else [],
        "previous": rows[index - 1].path if index > 0 else "", "next": rows[index + 1].path if index + 1 < len(rows) else "",
        "released_links": released_links(released) if released else None, **(base or {}),
    })
    return render(request, "programs/code/changes.html", context)


def search_page(request, version, links: CodeLinks, *, base: dict | None = None):
    """The package's text files searched for ?q= (plain text, any case), matches grouped by file."""
    query, error, result = request.GET.get("q", "").strip(), "", None
    if query and not search.QUERY_MIN <= len(query) <= search.QUERY_MAX:
        error = _("Search for %(min)d to %(max)d characters.") % {"min": search.QUERY_MIN, "max": search.QUERY_MAX}
    elif query:
        result = search.search_package(version, query)
    context = _frame(version, links, "search", {
        "query": query, "error": error, "result": result, "max_hits": search.MAX_HITS,
        "diff": selectors.diff_against_release(version), **(base or {})})
    return render(request, "programs/code/search.html", context, status=400 if error else 200)


def raw_response(request, version, *, download: bool | None = None):
    """One member's bytes: images inline for the preview, everything else as a download."""
    path = _path(request)
    image_type = IMAGE_TYPES.get(extension(path))
    as_attachment = download if download is not None else (request.GET.get("download") == "1" or not image_type)
    reader = PackageReader(version)
    try:
        chunks = reader.chunks(path)
    except MemberUnavailable:
        reader.__exit__(None, None, None)
        raise Http404 from None
    response = StreamingHttpResponse(_closing(chunks, reader),
                                     content_type="application/octet-stream" if as_attachment else image_type)
    response["Content-Length"] = str(manifest(version.scan_report)[path]["size"])
    response["Content-Disposition"] = content_disposition_header(as_attachment, posixpath.basename(path))
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, max-age=300"
    return response


def _closing(chunks, reader):
    try:
        yield from chunks
    except MemberUnavailable:
        return
    finally:
        reader.__exit__(None, None, None)


# ---------------------------------------------------------------- the organisation's side


def _org_version(request, membership, appid, version):
    obj = version_in_org(request, membership, appid, version)
    return selectors.code_version_access(request.user, obj)


def _org_base(membership) -> dict:
    return {"membership": membership, "side": "org"}


@org_page()  # outermost: an outsider's POST is a 404 too, not a 405
@require_GET
def version_code(request, membership, appid, version) -> HttpResponse:
    obj = _org_version(request, membership, appid, version)
    return browse_page(request, obj, org_links(membership.organisation.slug, obj), base=_org_base(membership))


@org_page()  # outermost: an outsider's POST is a 404 too, not a 405
@require_GET
def version_code_changes(request, membership, appid, version) -> HttpResponse:
    obj = _org_version(request, membership, appid, version)
    slug = membership.organisation.slug
    return changes_page(request, obj, org_links(slug, obj), lambda released: org_links(slug, released),
                        base=_org_base(membership))


@org_page()  # outermost: an outsider's POST is a 404 too, not a 405
@require_GET
def version_code_raw(request, membership, appid, version):
    return raw_response(request, _org_version(request, membership, appid, version))


@org_page()  # outermost: an outsider's POST is a 404 too, not a 405
@require_GET
def version_code_search(request, membership, appid, version) -> HttpResponse:
    obj = _org_version(request, membership, appid, version)
    return search_page(request, obj, org_links(membership.organisation.slug, obj), base=_org_base(membership))
