"""Members inflate in batches on two threads for large packages: the report is the one a single thread gives."""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile

import pytest

from programs.samples import RawEntry, build_package, deflate, hostile_cases, noise_png, raw_zip
from programs.scanning import ScanConfig, inflating, scan_package


@pytest.fixture
def parallel(monkeypatch):
    """Take the two-thread path for every package, with small batches so several run at once."""
    monkeypatch.setattr(inflating, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(inflating, "BATCH_BYTES", 2048)
    monkeypatch.setattr(inflating, "WORKERS", 2)


def _report(data: bytes, config: dict | None = None, *, as_path: bool = False) -> dict:
    if as_path:
        with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
            handle.write(data)
            handle.flush()
            report = scan_package(handle.name, ScanConfig(**(config or {}))).to_dict()
    else:
        report = scan_package(data, ScanConfig(**(config or {}))).to_dict()
    report.pop("duration_ms")
    return report


@pytest.mark.parametrize("case", hostile_cases(), ids=lambda case: case.name)
def test_two_threads_give_the_same_report_as_one(case, monkeypatch):
    sequential = _report(case.data, case.config)
    monkeypatch.setattr(inflating, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(inflating, "BATCH_BYTES", 2048)
    monkeypatch.setattr(inflating, "WORKERS", 2)

    assert _report(case.data, case.config) == sequential
    assert _report(case.data, case.config, as_path=True) == sequential


def test_a_large_package_really_uses_a_second_thread(parallel, monkeypatch):
    threads, both_started = set(), threading.Barrier(2, timeout=10)
    real_inflate = inflating.inflate

    def spy(*args, **kwargs):
        if threading.get_ident() not in threads:
            threads.add(threading.get_ident())
            both_started.wait()  # breaks (and fails the scan) unless a second worker inflates at the same time
        return real_inflate(*args, **kwargs)

    monkeypatch.setattr(inflating, "inflate", spy)
    files = {f"images/photo{index}.png": noise_png(200, 200, seed=index) for index in range(12)}

    report = _report(build_package("alipay", files=files), as_path=True)

    assert len(threads) == 2 and threading.get_ident() not in threads
    assert all(len(entry["sha256"]) == 64 for entry in report["files"].values())


def test_a_damaged_member_in_a_later_batch_stops_the_read_there(parallel):
    good = [RawEntry(f"assets/a{index}.txt", deflate(b"x" * 4000), content=b"x" * 4000,
                     method=zipfile.ZIP_DEFLATED) for index in range(6)]
    payload = bytearray(deflate(b"console.log('hello');\n" * 400))
    payload[len(payload) // 2] ^= 0xFF
    damaged = RawEntry("assets/b.js", bytes(payload), content=b"console.log('hello');\n" * 400,
                       method=zipfile.ZIP_DEFLATED)
    later = [RawEntry(f"assets/c{index}.txt", b"late", content=b"late") for index in range(4)]
    data = raw_zip(good + [damaged] + later)

    report = _report(data, as_path=True)

    assert only_finding(report, "archive.corrupt")["file"] == "assets/b.js"
    assert sorted(report["files"]) == [f"assets/a{index}.txt" for index in range(6)]


def only_finding(report: dict, code: str) -> dict:
    found = [finding for finding in report["findings"] if finding["code"] == code]
    assert len(found) == 1, report["findings"]
    return found[0]


def test_a_caller_file_object_is_read_on_one_thread(parallel, monkeypatch):
    data = build_package("alipay")
    threads = set()
    real_inflate = inflating.inflate

    def spy(*args, **kwargs):
        threads.add(threading.get_ident())
        return real_inflate(*args, **kwargs)

    monkeypatch.setattr(inflating, "inflate", spy)

    scan_package(io.BytesIO(data))

    assert threads == {threading.get_ident()}
