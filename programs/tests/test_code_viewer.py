"""The code viewer: members read only as the scanner accepted them, capped and cached; text highlighted in
bounded pages (a 2 MB minified file included); findings at their lines; the content diff and its markers."""

import hashlib
import re
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse

from programs.codeview import css, documents, render
from programs.codeview.diffing import MAX_INPUT_ROWS, MAX_SHOWN_CHARS, DiffRow, content_diff
from programs.codeview.reading import MemberUnavailable, PackageReader
from programs.codeview.tree import file_marks, tree_items
from programs.samples import RawEntry, package_files, raw_zip, zip_files
from programs.tests.codeview import minified_js, program_with_release, stored_version
from programs.tests.factories import scannable_program
from programs.views.code import DisplayRow, split_rows

MB = 1024 * 1024


@pytest.fixture
def versions(org):
    return program_with_release(org, new_files={"vendor/big.min.js": minified_js(2 * MB)})


def browse(client, org, program, version="1.1.0", **params):
    url = reverse("version_code", args=[org.slug, program.appid, version])
    return client.get(url, params)


# ---------------------------------------------------------------- reading members safely


def test_a_path_outside_the_manifest_is_404(client_for, owner, org, versions):
    program, _released, _review = versions

    response = browse(client_for(owner), org, program, path="../../etc/passwd")

    assert response.status_code == 404


def test_a_member_the_scanner_refused_cannot_be_read_even_if_the_manifest_names_it(org):
    program = scannable_program(org)
    data = raw_zip([RawEntry("app.js", b"ok"), RawEntry("../escape.js", b"secret()")])
    version = stored_version(program, "1.0.0", data)
    version.scan_report["files"]["../escape.js"] = {"size": 8, "sha256": hashlib.sha256(b"secret()").hexdigest()}

    with PackageReader(version) as reader:
        assert reader.read("app.js", limit=100).data == b"ok"
        with pytest.raises(MemberUnavailable):
            reader.read("../escape.js", limit=100)


def test_a_member_whose_bytes_differ_from_the_scan_is_refused(org):
    program = scannable_program(org)
    version = stored_version(program, "1.0.0", zip_files(package_files("alipay")))
    version.scan_report["files"]["app.js"]["sha256"] = "0" * 64

    with pytest.raises(MemberUnavailable), PackageReader(version) as reader:
        reader.read("app.js", limit=MB)


def test_reading_stops_at_the_limit_and_says_the_member_was_cut(org, versions):
    _program, _released, review = versions

    with PackageReader(review) as reader:
        member = reader.read("vendor/big.min.js", limit=10_000)

    assert (len(member.data), member.size >= 2 * MB, member.truncated) == (10_000, True, True)


def test_a_file_larger_than_the_setting_is_shown_truncated(client_for, owner, org, versions, settings):
    program, _released, _review = versions
    settings.CODE_VIEWER_MAX_BYTES = 100_000

    response = browse(client_for(owner), org, program, path="vendor/big.min.js")

    assert response.status_code == 200
    assert response.context["document"].truncated is True
    assert "only its beginning is shown" in response.content.decode()


def test_a_second_look_is_served_from_the_cache_without_reading_storage(client_for, owner, org, versions):
    program, _released, review = versions
    client = client_for(owner)
    first = browse(client, org, program, path="app.js")
    Path(review.package.path).unlink()  # storage gone: only the cache can answer now

    second = browse(client, org, program, path="app.js")

    assert (first.status_code, second.status_code) == (200, 200)
    assert [r.html for r in second.context["document"].rows] == [r.html for r in first.context["document"].rows]


# ---------------------------------------------------------------- rendering


def test_the_2mb_minified_file_renders_in_bounded_pages(client_for, owner, org, versions):
    program, _released, _review = versions
    client = client_for(owner)

    started = time.perf_counter()
    response = browse(client, org, program, path="vendor/big.min.js")
    first_render = time.perf_counter() - started
    started = time.perf_counter()
    browse(client, org, program, path="vendor/big.min.js")
    cached_render = time.perf_counter() - started

    document = response.context["document"]
    assert document.lines == 1
    assert len(document.pages) >= 2 * MB // render.PAGE_CHARS
    assert len(document.rows) <= render.PAGE_ROWS
    assert max(len(row.html) for row in document.rows) < 40 * render.WRAP
    assert len(response.content) < 1_500_000  # one page of HTML, not 2 MB of source times the markup
    print(f"2 MB minified file: first page {first_render * 1000:.0f} ms, cached {cached_render * 1000:.0f} ms, "
          f"{len(response.content):,} bytes of HTML, {len(document.pages)} parts")
    assert first_render < 10 and cached_render < first_render


def test_a_later_page_is_reached_by_number_and_by_line(client_for, owner, org):
    program = scannable_program(org)
    text = "".join(f"const line{n} = {n};\n" for n in range(1, 2501))
    stored_version(program, "1.0.0", zip_files(package_files("alipay", files={"big.js": text})))
    client = client_for(owner)

    by_page = browse(client, org, program, "1.0.0", path="big.js", page="2").context["document"]
    by_line = browse(client, org, program, "1.0.0", path="big.js", line="1500").context["document"]

    assert (by_page.current.first_line, by_page.current.last_line, len(by_page.pages)) == (2001, 2500, 3)
    assert (by_line.page, by_line.rows[0].line) == (1, 1001)


def test_row_spans_break_long_lines_and_keep_line_numbers():
    spans = render.row_spans("a\n" + "x" * 2500 + "\nb\n")

    assert [(line, end - start) for line, start, end in spans] == [(1, 1), (2, 1000), (2, 1000), (2, 500), (3, 1)]


def test_highlighted_rows_match_the_text_and_close_their_tags():
    text = "/* one\ntwo */ var s = '" + "y" * 1500 + "';\n"
    spans = render.row_spans(text)

    rows = render.highlight_rows(text, spans, "javascript")

    assert [(row.line, row.cont) for row in rows] == [(1, False), (2, False), (2, True)]
    assert all(row.html.count("<span") == row.html.count("</span>") for row in rows)
    assert 'class="cm"' in rows[1].html and 'class="kd"' in rows[1].html


@pytest.mark.parametrize("path, data, kind", [
    ("app.js", b"var a = 1;", "text"), ("images/a.png", b"\x89PNG....", "image"),
    ("fonts/a.woff2", b"wOF2\x00\x01", "binary"), ("README", "说明".encode(), "text"),
    ("data.bin", b"\x00\x01\x02", "binary"),
])
def test_kind_of_a_file(path, data, kind):
    assert render.kind_of(path, data) == kind


def test_an_images_size_in_pixels_is_read_from_its_header_and_a_broken_one_has_none():
    """Reviewers check tab icons' sizes (81 × 81); the page said only "518 bytes"."""
    from io import BytesIO

    from PIL import Image

    from programs.codeview.documents import _image_dimensions

    png = BytesIO()
    Image.new("RGB", (81, 40)).save(png, "PNG")
    assert _image_dimensions(png.getvalue()) == "81 × 40"
    assert _image_dimensions(b"\x89PNG....") == ""
    assert _image_dimensions(b"<svg xmlns='http://www.w3.org/2000/svg'/>") == ""


def test_gb18030_text_is_decoded():
    text, encoding = render.decode("页面标题".encode("gb18030"))

    assert (text, encoding) == ("页面标题", "gb18030")


def test_the_committed_stylesheet_is_what_the_pinned_pygments_generates():
    committed = (Path(__file__).resolve().parents[2] / "static/css/pygments.css").read_text()

    assert committed == css.generated()


# ---------------------------------------------------------------- findings and the diff


def test_findings_are_shown_under_their_line(client_for, owner, org, versions):
    program, _released, _review = versions

    response = browse(client_for(owner), org, program, path="app.js")

    flagged = [item for item in response.context["rows"] if item.severity]
    assert [(item.row.line, item.severity, [f["code"] for f in item.findings]) for item in flagged] == [
        (19, "warning", ["code.dynamic_load"])]


def test_a_wrapped_lines_findings_follow_its_first_row_where_a_jump_lands():
    """A 20 KB minified line is 20 rows; its findings came after the last, about 6,000 px below the jump."""
    from programs.codeview.render import Row
    from programs.views.code import display_rows

    rows = [Row(1, False, "a"), Row(1, True, "b"), Row(1, True, "c"), Row(2, False, "d")]
    finding = {"code": "code.obfuscated", "severity": "warning", "line": 1}
    shown = display_rows(rows, {1: [finding]})
    assert [(item.row.html, item.severity, item.findings) for item in shown] == [
        ("a", "warning", (finding,)), ("b", "", ()), ("c", "", ()), ("d", "", ())]


def test_findings_in_the_viewer_speak_the_readers_language(client_for, owner, org, versions):
    from programs.scanning.messages import render_message

    program, _released, review = versions
    owner.language = "zh-hans"
    owner.save()

    response = browse(client_for(owner), org, program, path="app.js")

    shown = [f for item in response.context["rows"] for f in item.findings]
    stored = next(f for f in review.scan_report["findings"] if f["code"] == "code.dynamic_load")
    assert [f["message"] for f in shown] == [render_message(stored, "zh-hans")]
    assert shown[0]["message"] != stored["message"]


def test_the_version_page_links_findings_to_their_line_in_the_viewer(client_for, owner, org, versions):
    program, _released, _review = versions
    page = client_for(owner).get(reverse("version_detail", args=[org.slug, program.appid, "1.1.0"]))

    code = reverse("version_code", args=[org.slug, program.appid, "1.1.0"])
    assert f'href="{code}?path=app.js&amp;line=19#L19"' in page.content.decode()


def test_the_changes_page_lists_changed_files_with_their_markers(client_for, owner, org):
    program, _released, _review = program_with_release(org)

    response = client_for(owner).get(reverse("version_code_changes", args=[org.slug, program.appid, "1.1.0"]))

    rows = {row.path: (row.change, row.permissions, row.domains, row.marks.findings, row.new_findings)
            for row in response.context["rows"]}
    assert rows == {
        # The camera is used but not in the privacy declaration: privacy.not_in_declaration, new in 1.1.0.
        "utils/nearby.js": ("added", ["scope.camera"], ["cdn.example.com"], 1, 1),
        "app.js": ("changed", [], [], 1, 1),
        "app.json": ("changed", ["scope.camera"], [], 0, 0),
    }
    assert response.context["file_diff"].path == "utils/nearby.js"  # the first listed file's diff


def test_the_diff_of_a_changed_file_shows_the_added_lines(client_for, owner, org, versions):
    program, _released, _review = versions
    url = reverse("version_code_changes", args=[org.slug, program.appid, "1.1.0"])

    diff = client_for(owner).get(url, {"path": "app.js"}).context["file_diff"].content

    added = [row for row in diff.rows if row.kind == "add"]
    assert (diff.added, diff.removed) == (4, 0)
    assert [row.new for row in added] == [17, 18, 19, 20]
    assert "prizes" in added[2].html


def test_the_changes_page_says_so_when_the_stored_package_no_longer_yields_a_file(client_for, owner, org, versions):
    """The scan listed the file, the stored package is not a zip any more: a notice, not a server error."""
    program, _released, review = versions
    review.package.save(review.package.name.rsplit("/", 1)[-1], ContentFile(b"not a zip"), save=True)
    url = reverse("version_code_changes", args=[org.slug, program.appid, "1.1.0"])

    response = client_for(owner).get(url, {"path": "app.js"})

    assert response.status_code == 200
    assert response.context["file_diff"] is None and response.context["unreadable"] is True
    assert "cannot be read from the stored package" in response.content.decode()


def test_the_released_version_does_not_claim_nothing_was_released(client_for, owner, org, versions):
    program, released, _review = versions

    page = browse(client_for(owner), org, program, version=released.version).content.decode()

    assert "This version is the current release" in page
    assert "Nothing of this program has been released yet" not in page


def test_content_diff_of_identical_texts_is_empty():
    assert content_diff("a\nb\n", "a\nb\n", "text").identical


def test_content_diff_refuses_inputs_past_the_limit():
    big = "".join(f"{n}\n" for n in range(MAX_INPUT_ROWS + 1))

    assert content_diff(big, big + "x\n", "text").too_large


def test_one_changed_statement_in_a_minified_file_is_a_short_diff():
    old = minified_js(2 * MB)
    new = old[:MB] + "var injected=1;" + old[MB:]

    diff = content_diff(old, new, "javascript")

    assert (diff.added, diff.removed) == (1, 1)
    assert any("injected" in row.html for row in diff.rows if row.kind == "add")


def test_long_lines_are_cut_by_content_within_the_row_limit():
    text = minified_js(200_000)

    spans = render.row_spans(text)
    shifted = render.row_spans("x;" + text)

    assert max(end - start for _line, start, end in spans) <= render.WRAP
    assert len(spans) > 200_000 // render.WRAP
    assert {text[s:e] for _l, s, e in spans[5:]} <= {("x;" + text)[s:e] for _l, s, e in shifted}


def test_content_diff_of_a_2mb_minified_file_stays_bounded():
    new = minified_js(2 * MB)

    diff = content_diff(None, new, "javascript")

    assert sum(len(row.html) for row in diff.rows) < 2 * MAX_SHOWN_CHARS
    assert diff.hidden > 0 and diff.added == len(render.row_spans(new))


def test_raw_serves_images_inline_and_everything_else_as_a_download(client_for, owner, org, versions):
    program, _released, _review = versions
    url = reverse("version_code_raw", args=[org.slug, program.appid, "1.1.0"])
    client = client_for(owner)

    image = client.get(url, {"path": "images/home.png"})
    script = client.get(url, {"path": "app.js"})

    assert (image["Content-Type"], image["Content-Disposition"]) == ("image/png", 'inline; filename="home.png"')
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")
    assert (script["Content-Type"], script["Content-Disposition"]) == (
        "application/octet-stream", 'attachment; filename="app.js"')
    assert "sandbox" in script["Content-Security-Policy"]


def test_cache_keys_do_not_depend_on_the_version(org, versions):
    program, released, review = versions
    cache.clear()
    documents.file_document(released, "utils/format.js")  # unchanged between the two versions

    Path(review.package.path).unlink()

    assert documents.file_document(review, "utils/format.js").rows


def test_side_by_side_pairs_removed_rows_with_the_added_rows_after_them():
    rows = [DisplayRow(DiffRow(kind, old, new, kind)) for kind, old, new in [
        ("hunk", None, None), ("same", 1, 1), ("del", 2, None), ("del", 3, None), ("add", None, 2), ("same", 4, 3),
        ("add", None, 4)]]

    pairs = split_rows(rows)

    assert [(p.old and p.old.row.old, p.new and p.new.row.new, p.kind) for p in pairs] == [
        (None, None, "hunk"), (1, 1, "same"), (2, 2, "add"), (3, None, "del"), (4, 3, "same"), (None, 4, "add")]


def test_a_package_missing_from_storage_is_404_not_an_error(client_for, owner, org, versions):
    program, _released, review = versions
    Path(review.package.path).unlink()

    assert browse(client_for(owner), org, program, path="app.js").status_code == 404


def test_the_tree_nests_folders_and_adds_up_what_is_inside():
    files = {"pages/index/index.js": {"size": 5}, "pages/index/index.axml": {"size": 3}, "app.js": {"size": 1}}
    marks = file_marks([{"file": "pages/index/index.js", "severity": "warning"},
                        {"file": "pages/index/index.js", "severity": "error"}],
                       {"pages/index/index.axml": "added", "pages/index/index.js": "changed"})

    items = tree_items(files, marks, current="pages/index/index.js")

    shape = [(i.kind, i.name, i.depth, i.is_open, i.current, i.marks.findings, i.marks.severity, i.marks.added_files,
              i.marks.changed_files) for i in items]
    assert shape == [  # a folder counts what was added and what changed apart (an added file read as "~1")
        ("open", "pages", 0, True, False, 2, "error", 1, 1), ("open", "index", 1, True, False, 2, "error", 1, 1),
        ("file", "index.axml", 2, False, False, 0, "", 0, 0), ("file", "index.js", 2, False, True, 2, "error", 0, 0),
        ("close", "", 1, False, False, 0, "", 0, 0), ("close", "", 0, False, False, 0, "", 0, 0),
        ("file", "app.js", 0, False, False, 0, "", 0, 0)]


def test_the_viewer_gives_an_images_pixel_size(client_for, owner, org, versions):
    program, _released, _review = versions

    body = browse(client_for(owner), org, program, path="images/home.png").content.decode()

    assert re.search(r"· \d+ × \d+ px", body)


def test_a_large_packages_closed_folders_are_sent_empty_and_load_when_opened(monkeypatch):
    """The WeChat demo's 2,990 files made every viewer page 0.9 MB of HTML; closed folders now load their items
    when opened. Their marks still count what is inside."""
    from programs.codeview import tree

    monkeypatch.setattr(tree, "LAZY_TREE_FILES", 2)
    files = {"pages/index/index.js": {"size": 5}, "pages/map/map.js": {"size": 3}, "vendor/sdk/a.js": {"size": 1},
             "app.js": {"size": 1}}
    marks = file_marks([{"file": "vendor/sdk/a.js", "severity": "warning"}], {})

    items = tree_items(files, marks, current="pages/map/map.js")
    shape = [(i.kind, i.path, i.is_open, i.lazy, i.marks.findings) for i in items if i.kind != "close"]
    assert shape == [
        ("open", "pages/", True, False, 0), ("open", "pages/index/", False, True, 0),  # closed: sent empty
        ("open", "pages/map/", True, False, 0), ("file", "pages/map/map.js", False, False, 0),
        ("open", "vendor/", True, False, 1), ("open", "vendor/sdk/", False, True, 1),  # its finding still counted
        ("file", "app.js", False, False, 0)]

    opened = tree_items(files, marks, current="pages/map/map.js", folder="vendor/sdk/")
    assert [(i.kind, i.path, i.depth) for i in opened] == [("file", "vendor/sdk/a.js", 2)]


def test_the_viewer_sends_a_lazy_folders_items_when_asked(client_for, owner, org, versions, monkeypatch):
    from programs.codeview import tree

    monkeypatch.setattr(tree, "LAZY_TREE_FILES", 2)
    program, _released, _review = versions
    client = client_for(owner)

    page = browse(client, org, program, path="app.js").content.decode()
    folder = browse(client, org, program, tree="packageA/pages/").content.decode()

    assert 'hx-get="' in page and "tree=packageA%2Fpages%2F" in page and 'hx-trigger="toggle once"' in page
    assert "packageA%2Fpages%2Fdetail%2Fdetail.js" not in page  # a closed folder's files are not sent
    assert "<html" not in folder and "packageA%2Fpages%2Fdetail" in folder
    assert browse(client, org, program, tree="no/such/").status_code == 404
    assert browse(client, org, program, tree="app.js").status_code == 404
