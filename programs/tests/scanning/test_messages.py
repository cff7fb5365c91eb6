"""Finding messages and risk reasons in Chinese, rendered from each code's template and the finding's params."""

from __future__ import annotations

import re

import pytest

from programs.samples import build_package, hostile_cases
from programs.scanning import FINDING_CODES, ScanConfig, scan_package
from programs.scanning.messages import render_message, render_reason

from .helpers import scan_built, with_code

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_code_has_a_chinese_title_and_message_template():
    for code, entry in FINDING_CODES.items():
        assert CJK.search(entry.title_zh), code
        assert CJK.search(entry.message_zh), code


def _reports():
    yield from (scan_package(case.data, config=ScanConfig(**case.config)) for case in hostile_cases())
    yield scan_built("wechat", app_json={"requiredPrivateInfos": None, "permission": None},
                     config={"privacy_declaration": {"camera": "Scan codes"}},
                     **with_code("wx.chooseImage({}); wx.request({ url: '/relative' }); setTimeout('x()', 1);"))
    yield scan_built("alipay", files={"images/tab1.png": None, "assets/a.md": "LTAI5tQ7xYz9AbCdEfGh1234"},
                     **with_code("const k = 'LTAI5tQ7xYz9AbCdEfGh1234';\nrequire(name);"))


@pytest.mark.parametrize("report", list(_reports()), ids=lambda report: ",".join(sorted(report.codes()))[:60])
def test_findings_real_checks_produce_render_in_chinese_from_their_params(report):
    for finding in report.to_dict()["findings"]:
        text = render_message(finding, "zh-hans")
        assert CJK.search(text), finding
        assert finding["message"] not in text, f"{finding['code']} fell back to English: {text}"
        assert "{" not in text, text


def test_english_readers_get_the_stored_english_message():
    finding = {"code": "tabbar.too_few", "message": "The tabBar has 1 tab(s).", "params": {"count": "1"}}

    assert render_message(finding, "en") == "The tabBar has 1 tab(s)."
    assert render_message(finding, "zh-hans") == "tabBar 只有 1 项，至少需要 2 项。"


def test_a_report_stored_before_params_existed_shows_the_chinese_title_and_the_english_detail():
    finding = {"code": "structure.page_duplicate", "message": "Page 'a' is listed twice."}

    assert render_message(finding, "zh-hans") == "页面重复：Page 'a' is listed twice."


def test_privacy_messages_name_the_kind_in_chinese():
    finding = {"code": "privacy.not_in_declaration", "message": "…", "params": {"api": "chooseImage", "kind": "album"}}

    assert render_message(finding, "zh-hans") == "chooseImage 使用了选中的照片或视频信息，但小程序的用户隐私保护指引中未声明。"


def test_risk_reasons_render_in_chinese():
    report = scan_built("alipay", files={"images/tab1.png": None}, **with_code("eval(a); eval(b);"))
    reasons = {item["code"]: render_reason(item, "zh-hans") for item in report.to_dict()["risk"]["breakdown"]}

    assert reasons["code.eval"] == "eval 或字符串定时器（2 处）"
    assert reasons["signal.location"] == "使用或声明了位置接口。"
    assert all(CJK.search(reason) for reason in reasons.values())


def test_unchanged_package_renders_the_same_in_both_languages_without_params_in_english():
    report = scan_package(build_package("alipay", code="\neval(x);\n")).to_dict()
    eval_finding = next(f for f in report["findings"] if f["code"] == "code.eval")

    assert render_message(eval_finding, None) == "eval() executes a string as code."


def test_a_redacted_keys_length_reads_in_chinese():
    """A Chinese walk: "AccessKey ID AKIAIOSF… (20 characters)，附近没有 Secret"."""
    finding = {"code": "secret.cloud_key_id", "message": "…",
               "params": {"provider": "aws", "key": "AKIAIOSF… (20 characters)"}}
    message = render_message(finding, "zh-hans")
    assert "AKIAIOSF…（共 20 个字符）" in message and "characters" not in message
    assert render_message({**finding, "message": "AWS AKIAIOSF… (20 characters) …"}, "en") == \
        "AWS AKIAIOSF… (20 characters) …"


@pytest.mark.django_db
def test_size_limits_in_chinese_name_the_host_and_count_bytes_in_chinese():
    """"主包大小为 6.00 MB (6,288,085 bytes)，alipay 的上限为 …" was half English."""
    finding = {"code": "size.main_too_large", "message": "The main package is 6.00 MB …",
               "params": {"part": "main", "root": "", "size": "6.00 MB (6,288,085 bytes)",
                          "limit": "2.00 MB (2,097,152 bytes)", "host": "alipay"}}
    assert render_message(finding, "zh-hans") == "主包大小为 6.00 MB（6,288,085 字节），支付宝 的上限为 2.00 MB（2,097,152 字节）。"
    unnamed = {**finding, "params": {**finding["params"], "host": "this host"}}
    assert "该宿主 的上限" in render_message(unnamed, "zh-hans")
