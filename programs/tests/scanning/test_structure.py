"""Dialect detection, project root and app.json structure checks."""

from __future__ import annotations

import json

import pytest

from programs.samples import DIALECTS, build_package, package_files, zip_files

from .helpers import error_codes, findings_with, only, scan, scan_built

LAYOUTS = [{}, {"root": "miniprogram/"}, {"wrap": "my-app/"}, {"wrap": "my-app/", "root": "src/"}]


@pytest.mark.parametrize("layout", LAYOUTS, ids=["plain", "root", "wrapped", "wrapped-root"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_valid_package_scans_with_zero_errors(dialect, layout):
    report = scan_built(dialect, **layout)

    assert report.dialect == dialect
    assert report.errors == 0, report.findings
    assert report.warnings == 0, report.findings


@pytest.mark.parametrize("dialect", DIALECTS)
def test_valid_package_has_zero_errors_with_default_config(dialect):
    assert scan(build_package(dialect)).errors == 0


def test_douyin_is_told_from_wechat_by_its_templates_and_appid():
    assert scan_built("douyin").dialect == "douyin"
    assert scan_built("wechat").dialect == "wechat"


def test_dialect_is_detected_from_templates_without_a_project_file():
    files = {name: data for name, data in package_files("baidu").items() if name != "project.swan.json"}

    assert scan(zip_files(files)).dialect == "baidu"


def test_package_without_any_dialect_files_is_an_unknown_dialect():
    report = scan(zip_files({"index.html": b"<html></html>", "main.js": b"console.log(1)"}))

    assert "structure.unknown_dialect" in report.codes()
    assert report.dialect is None


def test_templates_of_another_dialect_are_a_warning():
    report = scan_built("alipay", files={"legacy/old.wxml": "<view/>"})

    assert only(report, "structure.mixed_dialect").severity.value == "warning"


def test_miniprogram_root_is_honoured():
    report = scan_built("wechat", root="client/")

    assert report.errors == 0
    assert "client/app.json" in report.files


def test_miniprogram_root_that_escapes_is_a_project_error():
    files = package_files("wechat")
    files["project.config.json"] = json.dumps({"appid": "wx1", "miniprogramRoot": "../outside"}).encode()

    finding = only(scan(zip_files(files)), "structure.project_config_invalid")

    assert finding.file == "project.config.json"


def test_miniprogram_root_that_does_not_exist_is_a_project_error():
    files = package_files("wechat")
    files["project.config.json"] = json.dumps({"appid": "wx1", "miniprogramRoot": "missing/"}).encode()

    report = scan(zip_files(files))

    assert "not in the package" in only(report, "structure.project_config_invalid").message
    # A source tree whose build folder is missing: the pages cannot be judged, so no errors follow from it.
    assert {f.code for f in report.findings if f.severity.value == "error"} == {"structure.project_config_invalid"}


def test_app_json_missing_is_an_error():
    report = scan_built("alipay", files={"app.json": None})

    assert only(report, "structure.app_json_missing").file == "app.json"


def test_app_json_with_a_bom_is_accepted():
    text = json.dumps(json.loads(_app_json("wechat")))
    report = scan_built("wechat", files={"app.json": b"\xef\xbb\xbf" + text.encode()})

    assert report.errors == 0


def test_comments_in_alipay_app_json_are_accepted():
    text = "// Alipay's IDE accepts comments\n" + _app_json("alipay").replace('"pages": [', '"pages": [ /* entry */', 1)

    assert scan_built("alipay", app_json=text).errors == 0


def test_comments_in_wechat_app_json_are_an_error_with_a_position():
    text = "{\n  // no comments here\n" + _app_json("wechat")[1:]

    finding = only(scan_built("wechat", app_json=text), "structure.app_json_invalid")

    assert (finding.line, finding.column) == (2, 3)
    assert "comments" in finding.message


def test_invalid_app_json_reports_line_and_column():
    finding = only(scan_built("alipay", app_json='{\n  "pages": [\n    "pages/index/index",\n  ]\n}'),
                   "structure.app_json_invalid")

    assert finding.file == "app.json"
    assert finding.line == 4


def test_app_json_that_is_not_an_object_is_an_error():
    assert "structure.app_json_not_object" in scan_built("alipay", app_json="[]").codes()


def test_deeply_nested_app_json_is_refused_without_recursion():
    deep = '{"pages": ["pages/index/index"], "x": ' + "[" * 50_000 + "]" * 50_000 + "}"

    finding = only(scan_built("alipay", app_json=deep), "structure.app_json_too_deep")

    assert finding.line == 1


def test_nesting_limit_is_configurable():
    report = scan_built("alipay", config={"max_json_depth": 2})

    assert "structure.app_json_too_deep" in report.codes()


def test_app_json_without_pages_is_an_error():
    assert "structure.pages_missing" in scan_built("alipay", app_json={"pages": []}).codes()


def test_pages_of_the_wrong_type_are_a_field_error():
    assert "structure.field_invalid" in scan_built("alipay", app_json={"pages": "pages/index/index"}).codes()


@pytest.mark.parametrize("page", ["/pages/index/index", "pages/../secret", "pages/index/index.js", "pages\\index"])
def test_invalid_page_paths_are_errors(page):
    report = scan_built("alipay", app_json={"pages": ["pages/index/index", "pages/profile/profile", page]})

    assert "structure.page_path_invalid" in report.codes()


def test_page_without_template_or_script_is_reported_with_its_position():
    report = scan_built("alipay", files={"pages/profile/profile.axml": None, "pages/profile/profile.js": None})

    template = only(report, "structure.page_missing_template")
    assert template.file == "app.json"
    assert template.line is not None
    assert "pages/profile/profile.axml" in template.message
    assert "structure.page_missing_script" in report.codes()


def test_subpackage_page_without_files_is_an_error():
    report = scan_built("wechat", files={"packageA/pages/list/list.wxml": None})

    assert "packageA/pages/list/list.wxml" in only(report, "structure.page_missing_template").message


def test_typescript_page_scripts_are_accepted():
    report = scan_built("wechat", files={"pages/profile/profile.js": None, "pages/profile/profile.ts": "Page({});"})

    assert "structure.page_missing_script" not in report.codes()


def test_nested_subpackage_roots_are_an_error():
    subpackages = [{"root": "packageA", "pages": ["pages/detail/detail"]},
                   {"root": "packageA/pages", "pages": ["list/list"]}]

    assert "structure.subpackage_nested" in scan_built("alipay", app_json={"subPackages": subpackages}).codes()


def test_subpackage_without_files_is_an_error():
    subpackages = [{"root": "packageA", "pages": ["pages/detail/detail", "pages/list/list"]},
                   {"root": "packageB", "pages": []}]

    assert "structure.subpackage_missing" in scan_built("alipay", app_json={"subPackages": subpackages}).codes()


def test_an_empty_subpackage_is_one_finding_not_two_per_page():
    """A real package's empty submodule folder gave 1 + 28 errors, one per page of it."""
    subpackages = [{"root": "packageA", "pages": ["pages/detail/detail", "pages/list/list"]},
                   {"root": "packageEmpty", "pages": [f"pages/p{i}/index" for i in range(14)]}]

    report = scan_built("alipay", app_json={"subPackages": subpackages})

    assert [f.params["root"] for f in report.findings if f.code == "structure.subpackage_missing"] == ["packageEmpty/"]
    assert not [f for f in report.findings if f.code.startswith("structure.page_missing")
                and "packageEmpty" in f.params["page"]]


def test_subpackage_without_root_is_invalid():
    report = scan_built("alipay", app_json={"subPackages": [{"pages": ["a"]}]})

    assert "structure.subpackage_invalid" in report.codes()


def test_lowercase_subpackages_key_is_read_too():
    report = scan_built("wechat", app_json={
        "subPackages": None, "subpackages": [{"root": "packageA", "pages": ["pages/detail/detail"]}]})

    assert report.sizes.subpackages.keys() == {"packageA/"}


def test_tabbar_page_in_a_subpackage_is_an_error():
    app = json.loads(_app_json("wechat"))
    app["tabBar"]["list"][1]["pagePath"] = "packageA/pages/detail/detail"

    report = scan_built("wechat", app_json=app)

    assert "structure.tabbar_page_in_subpackage" in report.codes()


def test_entry_page_inside_a_subpackage_folder_is_an_error():
    report = scan_built("alipay", app_json={"pages": ["packageA/pages/detail/detail", "pages/index/index",
                                                      "pages/profile/profile"]})

    assert "structure.entry_in_subpackage" in report.codes()


def test_entry_page_path_pointing_into_a_subpackage_is_an_error():
    report = scan_built("wechat", app_json={"entryPagePath": "packageA/pages/detail/detail"})

    assert "structure.entry_in_subpackage" in report.codes()


def test_main_page_inside_a_subpackage_folder_is_an_error():
    report = scan_built("alipay", files={"packageA/extra.axml": "<view/>", "packageA/extra.js": "Page({});"},
                        app_json={"pages": ["pages/index/index", "pages/profile/profile", "packageA/extra"]})

    assert "structure.main_page_in_subpackage" in report.codes()


def test_theme_variables_resolve_through_the_theme_file():
    report = scan_built("wechat")

    assert not findings_with(report, "structure.theme_variable_undefined")
    assert report.errors == 0


def test_theme_variable_missing_from_dark_mode_is_an_error():
    theme = {"light": {"navBg": "#fff", "tabSelected": "#111", "homeIcon": "images/home.png",
                       "homeIconActive": "images/home-active.png"},
             "dark": {"navBg": "#000", "homeIcon": "images/home-dark.png",
                      "homeIconActive": "images/home-active-dark.png"}}

    finding = only(scan_built("wechat", files={"theme.json": json.dumps(theme)}), "structure.theme_variable_undefined")

    assert "@tabSelected" in finding.message
    assert "dark" in finding.message
    assert finding.line is not None


def test_theme_variables_without_theme_location_are_errors():
    report = scan_built("wechat", app_json={"themeLocation": None})

    assert len(findings_with(report, "structure.theme_variable_undefined")) == 4


def test_missing_theme_file_is_an_error():
    assert "structure.theme_missing" in scan_built("wechat", files={"theme.json": None}).codes()


def test_structure_findings_do_not_hide_other_checks():
    report = scan_built("alipay", files={"pages/profile/profile.axml": None}, code="eval('1')")

    assert {"structure.page_missing_template", "code.eval"} <= error_codes(report)


def _app_json(dialect: str) -> str:
    return package_files(dialect)["app.json"].decode()
