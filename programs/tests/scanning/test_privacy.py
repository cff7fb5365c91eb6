"""Private APIs used in code must be declared; declarations nobody uses are noted."""

from __future__ import annotations

import pytest

from .helpers import findings_with, only, scan_built, with_code


def test_declared_location_is_listed_in_permissions():
    assert scan_built("alipay").permissions == ["scope.userLocation"]
    assert scan_built("wechat").permissions == ["getLocation", "scope.userLocation"]


def test_undeclared_wechat_location_is_an_error_pointing_at_the_call():
    report = scan_built("wechat", app_json={"permission": None})

    finding = only(report, "privacy.undeclared")
    assert finding.file == "app.js"
    assert (finding.line, finding.column) == (14, 5)  # `  locate() {` is line 13 of the builder's app.js
    assert "scope.userLocation" in finding.message


@pytest.mark.parametrize("dialect", ["alipay", "douyin", "baidu"])
def test_dialects_without_app_json_declarations_do_not_require_one(dialect):
    # Alipay's app.json has no permission field; Douyin's and Baidu's only set the prompt's subtitle.
    report = scan_built(dialect, app_json={"permission": None})

    assert "privacy.undeclared" not in report.codes()
    assert report.personal_info == ["location"]


@pytest.mark.parametrize("code", [
    "wx.createCameraContext('c');", "wx.getRecorderManager();", "wx.openBluetoothAdapter({});",
    "wx.addPhoneContact({});", "wx.chooseImage({});",
])
def test_wechat_device_apis_need_no_app_json_declaration(code):
    # WeChat asks for these at run time; the official demo got 14 false errors for them.
    report = scan_built("wechat", **with_code(code))

    assert "privacy.undeclared" not in report.codes()


def test_personal_info_missing_from_the_console_declaration_is_an_error():
    report = scan_built("alipay", config={"privacy_declaration": {"camera": "Scan receipts"}},
                        **with_code("my.chooseImage({ count: 1 });"))

    found = {finding.params["kind"]: finding for finding in findings_with(report, "privacy.not_in_declaration")}
    assert set(found) == {"location", "album"}
    assert found["album"].file == "app.js"
    assert found["album"].severity.value == "error"


def test_console_declaration_listing_what_code_uses_passes_and_extra_kinds_are_notices():
    declaration = {"location": "Find the nearest store", "phone_number": "Call the customer back"}

    report = scan_built("alipay", config={"privacy_declaration": declaration})

    assert "privacy.not_in_declaration" not in report.codes()
    assert only(report, "privacy.declaration_unused").params == {"kind": "phone_number"}


def test_unknown_console_declaration_skips_that_check():
    assert "privacy.not_in_declaration" not in scan_built("alipay", **with_code("my.chooseImage({});")).codes()


def test_wechat_location_needs_required_private_infos():
    report = scan_built("wechat", app_json={"requiredPrivateInfos": None})

    assert "getLocation" in only(report, "privacy.undeclared").message


def test_declared_but_unused_scope_is_a_notice():
    report = scan_built("alipay", app_json={"permission": {
        "scope.userLocation": {"desc": "Nearby stores"}, "scope.camera": {"desc": "Scan codes"}}})

    finding = only(report, "privacy.unused")
    assert finding.severity.value == "notice"
    assert "scope.camera" in finding.message
    assert report.errors == 0


def test_permission_without_description_is_an_error():
    report = scan_built("alipay", app_json={"permission": {"scope.userLocation": {"desc": "  "}}})

    assert "privacy.missing_description" in report.codes()


def test_phone_number_button_in_a_template_is_a_use():
    files = {"pages/index/index.wxml": '<button open-type="getPhoneNumber">Log in</button>'}

    report = scan_built("wechat", config={"privacy_declaration": {"location": "Stores nearby"}}, files=files)

    finding = only(report, "privacy.not_in_declaration")
    assert finding.file == "pages/index/index.wxml"
    assert finding.params["kind"] == "phone_number"


def test_a_template_use_is_found_at_its_line_and_named_in_the_templates_words():
    """A reviewer jumps to it; and the file has a <camera> element, not a createCameraContext call."""
    files = {"pages/scan/index.wxml": '<!-- a\n <camera/> -->\n<view>\n  <camera device-position="back"/>\n</view>',
             "pages/login/index.wxml": '<view>\n<button\n  open-type="getPhoneNumber">Log in</button></view>'}

    report = scan_built("wechat", config={"privacy_declaration": {"location": "Stores nearby"}}, files=files)

    found = {f.file: f for f in findings_with(report, "privacy.not_in_declaration")}
    camera, phone = found["pages/scan/index.wxml"], found["pages/login/index.wxml"]
    assert (camera.line, camera.column) == (4, 3)  # the commented-out one on line 2 is not it
    assert camera.message.startswith("<camera> uses camera")
    assert (phone.line, phone.column) == (3, 3)
    assert phone.message.startswith('open-type="getPhoneNumber" uses phone number')


def test_private_api_in_a_template_comment_is_not_a_use():
    files = {"pages/index/index.wxml": '<!-- <button open-type="getPhoneNumber"/> -->\n<view/>'}

    assert "phone_number" not in scan_built("wechat", files=files).personal_info


def test_private_api_named_in_comments_and_strings_is_not_a_use():
    code = "// my.startRecord() is not used yet\nconst hint = 'call my.chooseLocation later';\n/* my.addPhoneContact({}) */"

    assert scan_built("alipay", **with_code(code)).personal_info == ["location"]


def test_other_dialects_api_object_is_not_counted():
    assert "microphone" not in scan_built("alipay", **with_code("wx.startRecord();")).personal_info


def test_camera_use_is_reported_as_personal_information():
    report = scan_built("alipay", **with_code("const camera = my.createCameraContext('c');"))

    assert report.personal_info == ["location", "camera"]


def test_fuzzy_and_precise_location_together_are_an_error():
    report = scan_built("wechat", app_json={"requiredPrivateInfos": ["getLocation", "getFuzzyLocation"]})

    assert "privacy.conflicting_location" in report.codes()


def test_unknown_private_info_is_a_warning():
    report = scan_built("wechat", app_json={"requiredPrivateInfos": ["getLocation", "getLocaton"]})

    assert only(report, "privacy.unknown_declaration").severity.value == "warning"


def test_one_finding_per_api_and_file():
    report = scan_built("wechat", app_json={"permission": None},
                        **with_code("wx.getLocation({});\nwx.getLocation({});"))

    assert len(findings_with(report, "privacy.undeclared")) == 1


def test_location_use_raises_the_risk_signal():
    breakdown = {item.code for item in scan_built("alipay").risk.breakdown}

    assert "signal.location" in breakdown
