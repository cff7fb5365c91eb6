"""The report contract, the config, the deadline, progress, and the code registry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from programs.samples import build_package, hostile_packages, package_files, zip_files
from programs.scanning import FINDING_CODES, RISK_SIGNALS, ScanConfig, ScanReport, Severity, engine, scan_package
from programs.scanning.docs import render_markdown

from .helpers import only, scan, scan_built, with_code

REPORT_KEYS = {"dialect", "errors", "warnings", "notices", "findings", "sizes", "risk", "files", "permissions",
               "domains", "duration_ms", "personal_info", "root", "pages"}
FINDING_KEYS = {"code", "severity", "message", "file", "line", "column"}
DOCS = Path(__file__).resolve().parents[3] / "docs" / "finding-codes.md"


def test_report_dict_has_the_public_shape_and_is_json():
    report = scan_built("wechat", **with_code("eval(x);")).to_dict()

    assert set(report) == REPORT_KEYS
    assert all(FINDING_KEYS <= set(finding) <= FINDING_KEYS | {"params"} for finding in report["findings"])
    assert set(report["sizes"]) == {"main", "subpackages", "full", "limits"}
    assert set(report["risk"]) == {"score", "breakdown"}
    assert all(set(item) == {"code", "weight", "reason", "params"} for item in report["risk"]["breakdown"])
    assert json.loads(json.dumps(report)) == report


def test_counts_match_the_findings_and_only_errors_block():
    report = scan_built("alipay", app_json={"permission": {"scope.userLocation": {"desc": "x"},
                                                            "scope.camera": {"desc": "y"}}})

    assert (report.errors, report.warnings, report.notices) == (0, 0, 1)
    assert not report.has_errors


def test_findings_are_ordered_errors_first():
    report = scan_built("alipay", files={"legacy/a.wxml": "<view/>"}, **with_code("eval(x);"))

    ranks = [finding.severity.rank for finding in report.findings]
    assert ranks == sorted(ranks)


def test_report_round_trips_through_its_dict():
    report = scan_built("wechat", **with_code("eval(x);"))

    assert ScanReport.from_dict(report.to_dict()).to_dict() == report.to_dict()


def test_scanning_twice_gives_the_same_report():
    data = build_package("alipay", code="\neval(a);\nmy.request({ url: 'http://x.test' });\n")

    first, second = scan(data).to_dict(), scan(data).to_dict()

    first.pop("duration_ms")
    second.pop("duration_ms")
    assert first == second


def test_risk_breakdown_explains_the_score():
    report = scan_built("alipay", **with_code("eval(a); eval(b); const f = new Function('x');"))

    breakdown = {item.code: item for item in report.risk.breakdown}
    assert breakdown["code.eval"].weight == FINDING_CODES["code.eval"].weight
    assert breakdown["code.eval"].reason.startswith("2x")
    assert "code.new_function" in breakdown
    assert report.risk.score == sum(item.weight for item in report.risk.breakdown)


def test_clean_package_without_capabilities_has_zero_risk():
    files = package_files("alipay", app_json={"permission": None})
    files["app.js"] = b"App({});\n"

    report = scan(zip_files(files))

    assert report.risk.score == 0
    assert report.risk.breakdown == []


def test_progress_goes_forward_to_100_through_named_stages():
    calls = []

    scan_package(build_package("wechat"), progress=lambda percent, stage: calls.append((percent, stage)))

    percents = [percent for percent, _ in calls]
    assert percents == sorted(percents)
    assert percents[-1] == 100
    assert {"archive", "structure", "sizes", "images", "privacy", "network", "code"} <= {s for _, s in calls}


def test_progress_reaches_100_even_for_a_refused_archive():
    calls = []

    scan_package(b"not a zip", progress=lambda percent, stage: calls.append(percent))

    assert calls[-1] == 100


def test_tiny_time_limit_gives_a_scan_timeout():
    report = scan(build_package("alipay"), time_limit_seconds=0)

    finding = only(report, "scan.timeout")
    assert finding.severity is Severity.ERROR
    assert report.has_errors


def test_timeout_during_content_checks_keeps_earlier_findings(monkeypatch):
    def slow_check(*args, **kwargs):
        raise engine.ScanTimeout("code")

    monkeypatch.setattr(engine, "check_code", slow_check)

    report = scan(hostile_packages()["nested_zip_bomb"])

    assert {"archive.nested_archive", "scan.timeout"} <= report.codes()
    assert "while checking code" in only(report, "scan.timeout").message


def test_a_failing_check_is_reported_and_the_others_still_run(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "check_privacy", broken)

    report = scan_built("alipay", **with_code("eval(x);"))

    assert {"scan.internal_error", "code.eval"} <= report.codes()


def test_findings_per_code_are_capped_with_a_notice():
    code = "\n".join(f"eval(x{i});" for i in range(30))

    report = scan_built("alipay", config={"max_findings_per_code": 10}, **with_code(code))

    assert len([f for f in report.findings if f.code == "code.eval"]) == 10
    assert "20 more code.eval" in only(report, "scan.findings_truncated").message


def test_config_round_trips_through_json():
    config = ScanConfig(host="weibo", allowed_domains={"request": ["api.example.com"]}, org_key_prefixes=["mpk_1_"],
                        size_limits={"wechat": {"full": 1000}})

    restored = ScanConfig.from_dict(json.loads(json.dumps(config.to_dict())))

    assert restored == config


def test_config_refuses_unknown_keys_and_bad_values():
    with pytest.raises(ValueError, match="max_entires"):
        ScanConfig.from_dict({"max_entires": 10})
    with pytest.raises(ValueError):
        ScanConfig(max_entries=0)
    with pytest.raises(ValueError):
        ScanConfig(allowed_domains={"ftp": []})


def test_finding_codes_are_stable_dotted_lowercase_names():
    for code, entry in FINDING_CODES.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", code)
        assert entry.code == code
        assert entry.title and len(entry.explanation) > 40
        assert entry.weight >= 0
    assert all(re.fullmatch(r"signal\.[a-z_]+", code) for code in RISK_SIGNALS)


def test_every_code_used_by_the_checks_is_registered():
    source = "\n".join(path.read_text() for path in (Path(engine.__file__).parent).glob("*.py"))
    used = set(re.findall(r"\"((?:archive|structure|size|tabbar|image|privacy|network|code|secret|scan)\.[a-z_]+)\"",
                          source))

    assert used <= set(FINDING_CODES)


def test_docs_page_is_generated_from_the_registry():
    assert DOCS.read_text() == render_markdown(), "run: python -m programs.scanning.docs > docs/finding-codes.md"
