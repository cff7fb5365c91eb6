"""Archive safety: every hostile archive is a specific finding, never an exception, at bounded cost."""

from __future__ import annotations

import hashlib
import io
import tempfile
import time
import tracemalloc
import zipfile

import pytest

from programs.samples import (
    RawEntry,
    build_package,
    deflate,
    hostile_cases,
    package_files,
    raw_zip,
    zip_bomb,
    zip_files,
)
from programs.scanning import ScanConfig, scan_package

from .helpers import error_codes, only, scan

HOSTILE = {case.name: case for case in hostile_cases()}
ARCHIVE_CASES = [case for case in hostile_cases() if case.code.startswith("archive.")]


@pytest.mark.parametrize("case", hostile_cases(), ids=lambda case: case.name)
def test_each_hostile_package_yields_its_specific_finding(case):
    report = scan_package(case.data, config=ScanConfig(**case.config))

    assert case.code in report.codes()
    assert report.has_errors


@pytest.mark.parametrize("case", ARCHIVE_CASES, ids=lambda case: case.name)
def test_hostile_archive_reports_are_json_ready_and_counted(case):
    report = scan(case.data).to_dict()

    assert report["errors"] == sum(1 for finding in report["findings"] if finding["severity"] == "error")
    assert report["errors"] >= 1


def test_not_a_zip_is_a_not_zip_error_and_nothing_else():
    report = scan(b"%PDF-1.7 this is a pdf")

    assert report.codes() == {"archive.not_zip"}
    assert report.dialect is None
    assert report.files == {}


def test_truncated_archive_is_corrupt():
    valid = build_package("wechat")

    report = scan(valid[: len(valid) - 30])

    assert report.codes() == {"archive.corrupt"}


def test_member_with_damaged_data_is_corrupt_and_stops_the_scan():
    payload = bytearray(deflate(b"console.log('hello');\n" * 200))
    payload[len(payload) // 2] ^= 0xFF
    data = raw_zip([RawEntry("app.js", bytes(payload), content=b"console.log('hello');\n" * 200,
                             method=zipfile.ZIP_DEFLATED)])

    report = scan(data)

    assert "archive.corrupt" in report.codes()
    assert only(report, "archive.corrupt").file == "app.js"
    assert not any(code.startswith("structure.") for code in report.codes())


def test_crc_mismatch_is_corrupt():
    data = raw_zip([RawEntry("app.js", b"App({});", crc=12345)])

    report = scan(data)

    assert "fails its CRC check" in only(report, "archive.corrupt").message


def test_one_gib_bomb_is_refused_quickly_with_bounded_memory():
    bomb = zip_bomb(1024)
    tracemalloc.start()
    started = time.perf_counter()

    report = scan_package(io.BytesIO(bomb))

    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert {"archive.too_large", "archive.ratio"} <= report.codes()
    assert elapsed < 2.0
    assert peak < 100 * 1024 * 1024


def test_bomb_is_refused_before_inflating_anything():
    report = scan(zip_bomb(1024))

    assert report.files == {}
    assert "1,073,741,824" in only(report, "archive.too_large").message


def test_high_ratio_member_under_the_size_limit_is_a_ratio_error():
    report = scan(zip_bomb(50))

    assert report.codes() == {"archive.ratio"}


def test_small_repetitive_files_are_not_mistaken_for_bombs():
    files = {**package_files("alipay"), "data/blank.json": b"[" + b" " * 200_000 + b"]"}

    report = scan(zip_files(files))

    assert "archive.ratio" not in report.codes()


def test_header_lying_about_its_size_stops_at_the_declared_size():
    report = scan(HOSTILE["lying_header"].data)

    finding = only(report, "archive.size_mismatch")
    assert finding.file == "assets/small.bin"
    assert "more than the 100 bytes" in finding.message


def test_header_declaring_more_than_the_real_size_is_a_mismatch():
    content = b"x" * 1000
    data = raw_zip([RawEntry("assets/a.bin", deflate(content), content=content, method=zipfile.ZIP_DEFLATED,
                             size=5000)])

    report = scan(data)

    assert "only 1,000 bytes" in only(report, "archive.size_mismatch").message


def test_nested_zip_is_an_error_but_the_scan_continues():
    report = scan(HOSTILE["nested_zip_bomb"].data)

    assert only(report, "archive.nested_archive").file == "assets/more.zip"
    assert report.dialect == "alipay"


def test_nested_archive_is_recognised_by_content_not_only_by_name():
    files = {**package_files("alipay"), "assets/data.bin": zip_files({"a.txt": b"a"})}

    report = scan(zip_files(files))

    assert only(report, "archive.nested_archive").file == "assets/data.bin"


def test_path_traversal_name_is_an_error():
    finding = only(scan(HOSTILE["path_traversal"].data), "archive.path_traversal")

    assert finding.file == "../../evil.js"


def test_absolute_name_is_an_error():
    assert only(scan(HOSTILE["absolute_path"].data), "archive.absolute_path").file == "/etc/cron.d/evil"


def test_backslash_name_is_an_error():
    assert "archive.backslash" in scan(HOSTILE["backslash"].data).codes()


def test_backslash_traversal_is_also_a_traversal():
    report = scan(raw_zip([RawEntry("..\\..\\evil.js", b"x")] + _valid_entries()))

    assert {"archive.backslash", "archive.path_traversal"} <= report.codes()


@pytest.mark.parametrize("name", ["C:/evil.js", "pages/\x01.js", "pages/./x.js", "pages//x.js", "a" * 300 + ".js"])
def test_bad_names_are_errors(name):
    report = scan(raw_zip(_valid_entries() + [RawEntry(name, b"x")]))

    assert "archive.bad_name" in report.codes()


# `utils/\u202Egnp.js` shows as `utils/sj.png`, `x\u200B.js` as `x.js`: names that do not read as they are.
@pytest.mark.parametrize("name", ["utils/\u202egnp.js", "x\u200b.js", "pages/\u2066a\u2069.js", "\ufeffapp2.js",
                                  "a\u200db.js", "p\u061cq.js", "tag\U000e0041.js"])
def test_names_with_invisible_or_direction_changing_characters_are_bad_names(name):
    finding = only(scan(raw_zip(_valid_entries() + [RawEntry(name, b"x")])), "archive.bad_name")

    assert (finding.severity.value, finding.file) == ("error", name)
    assert f"U+{ord(next(c for c in name if not c.isprintable())):04X}" in finding.message


@pytest.mark.parametrize("name", ["pages/首页.js", "images/café.png", "pages/ｘ.js", "pages/😀.png"])
def test_visible_non_ascii_names_are_fine(name):
    assert "archive.bad_name" not in scan(raw_zip(_valid_entries() + [RawEntry(name, b"x")])).codes()


def test_non_utf8_name_is_a_bad_name():
    assert "not valid UTF-8" in only(scan(HOSTILE["non_utf8_name"].data), "archive.bad_name").message


def test_utf8_name_without_the_utf8_flag_is_accepted():
    name = "pages/首页.js".encode()
    report = scan(raw_zip(_valid_entries() + [RawEntry(name, b"Page({});")]))

    assert "archive.bad_name" not in report.codes()
    assert "pages/首页.js" in report.files


def test_symlink_member_is_refused_and_not_read():
    report = scan(HOSTILE["symlink"].data)

    assert only(report, "archive.symlink").file == "pages/link.js"
    assert "pages/link.js" not in report.files


def test_fifo_member_is_a_special_file():
    assert "archive.special_file" in scan(HOSTILE["fifo"].data).codes()


def test_duplicate_names_are_an_error():
    assert only(scan(HOSTILE["duplicate_name"].data), "archive.duplicate_name").file == "app.js"


def test_names_differing_only_by_case_are_a_warning():
    report = scan(raw_zip(_valid_entries() + [RawEntry("APP.js", b"x")]))

    assert only(report, "archive.case_collision").severity.value == "warning"


def test_encrypted_member_is_an_error():
    assert "archive.encrypted" in scan(HOSTILE["encrypted"].data).codes()


def test_unsupported_compression_method_is_an_error():
    assert "method 12" in only(scan(HOSTILE["bzip2_member"].data), "archive.compression_method").message


def test_ten_thousand_entries_are_refused_before_the_directory_is_parsed():
    started = time.perf_counter()

    report = scan(HOSTILE["too_many_entries"].data)

    assert report.codes() == {"archive.too_many_entries"}
    assert time.perf_counter() - started < 1.0


def test_entry_limit_is_configurable():
    report = scan(build_package("alipay"), max_entries=10)

    assert report.codes() == {"archive.too_many_entries"}


def test_overlapping_entries_are_refused():
    assert scan(HOSTILE["overlapping_entries"].data).codes() == {"archive.overlapping_entries"}


def test_empty_archive_is_an_error():
    assert scan(raw_zip([])).codes() == {"archive.empty"}


def test_fatal_archive_findings_stop_before_content_checks():
    report = scan(HOSTILE["zip_bomb_1gib"].data)

    assert all(code.startswith("archive.") for code in report.codes())
    # Nothing was measured, and the report says so rather than "0 bytes".
    assert report.to_dict()["sizes"] == {"main": None, "subpackages": {}, "full": None,
                                         "limits": report.sizes.limits}
    assert report.sizes.limits["full"] > 0


def test_manifest_lists_every_member_with_size_and_sha256():
    files = package_files("baidu")

    report = scan(zip_files(files))

    assert set(report.files) == set(files)
    for name, content in files.items():
        assert report.files[name].size == len(content)
        assert report.files[name].sha256 == hashlib.sha256(content).hexdigest()


def test_path_bytes_and_file_object_sources_give_the_same_report():
    data = build_package("douyin")
    with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
        handle.write(data)
        handle.flush()
        from_path = scan_package(handle.name).to_dict()
    from_bytes = scan_package(data).to_dict()
    from_file = scan_package(io.BytesIO(data)).to_dict()

    for report in (from_path, from_bytes, from_file):
        report.pop("duration_ms")
    assert from_path == from_bytes == from_file


def test_scanning_never_opens_a_file_for_writing(monkeypatch):
    real_open = open

    def read_only_open(file, mode="r", *args, **kwargs):
        assert not set(mode) & set("wax+"), f"scan opened {file!r} with mode {mode!r}"
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr("builtins.open", read_only_open)
    for name in ("mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile"):
        monkeypatch.setattr(tempfile, name, _forbidden)

    scan(HOSTILE["path_traversal"].data)
    scan(HOSTILE["nested_zip_bomb"].data)
    scan(build_package("wechat", root="miniprogram/"))


def test_stored_members_are_read_like_deflated_ones():
    report = scan(zip_files(package_files("wechat"), compression=zipfile.ZIP_STORED))

    assert not error_codes(report)
    assert report.dialect == "wechat"


def _forbidden(*args, **kwargs):
    raise AssertionError("the scan must not create temporary files")


def _valid_entries() -> list[RawEntry]:
    return [RawEntry(name, data) for name, data in package_files("alipay").items()]
