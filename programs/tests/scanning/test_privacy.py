"""Private APIs used in code must be declared; declarations nobody uses are noted."""

from __future__ import annotations

from .helpers import findings_with, only, scan_built, with_code


def test_declared_location_is_listed_in_permissions():
    assert scan_built("alipay").permissions == ["scope.userLocation"]
    assert scan_built("wechat").permissions == ["getLocation", "scope.userLocation"]


def test_undeclared_location_is_an_error_pointing_at_the_call():
    report = scan_built("alipay", app_json={"permission": None})

    finding = only(report, "privacy.undeclared")
    assert finding.file == "app.js"
    assert (finding.line, finding.column) == (14, 5)  # `  locate() {` is line 13 of the builder's app.js
    assert "scope.userLocation" in finding.message


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


def test_phone_number_button_in_a_template_needs_a_scope():
    report = scan_built("wechat", files={"pages/index/index.wxml": '<button open-type="getPhoneNumber">Log in</button>'})

    finding = only(report, "privacy.undeclared")
    assert finding.file == "pages/index/index.wxml"
    assert "scope.phoneNumber" in finding.message


def test_private_api_in_a_template_comment_is_not_a_use():
    files = {"pages/index/index.wxml": '<!-- <button open-type="getPhoneNumber"/> -->\n<view/>'}

    assert "privacy.undeclared" not in scan_built("wechat", files=files).codes()


def test_private_api_named_in_comments_and_strings_is_not_a_use():
    code = "// my.startRecord() is not used yet\nconst hint = 'call my.chooseLocation later';\n/* my.addPhoneContact({}) */"

    assert "privacy.undeclared" not in scan_built("alipay", **with_code(code)).codes()


def test_other_dialects_api_object_is_not_counted():
    assert "privacy.undeclared" not in scan_built("alipay", **with_code("wx.startRecord();")).codes()


def test_camera_use_needs_its_scope():
    report = scan_built("alipay", **with_code("const camera = my.createCameraContext('c');"))

    assert "scope.camera" in only(report, "privacy.undeclared").message


def test_fuzzy_and_precise_location_together_are_an_error():
    report = scan_built("wechat", app_json={"requiredPrivateInfos": ["getLocation", "getFuzzyLocation"]})

    assert "privacy.conflicting_location" in report.codes()


def test_unknown_private_info_is_a_warning():
    report = scan_built("wechat", app_json={"requiredPrivateInfos": ["getLocation", "getLocaton"]})

    assert only(report, "privacy.unknown_declaration").severity.value == "warning"


def test_one_finding_per_api_and_file():
    report = scan_built("alipay", app_json={"permission": None},
                        **with_code("my.getLocation({});\nmy.getLocation({});"))

    assert len(findings_with(report, "privacy.undeclared")) == 1


def test_location_use_raises_the_risk_signal():
    breakdown = {item.code for item in scan_built("alipay").risk.breakdown}

    assert "signal.location" in breakdown
