"""Sizes as a host measures them, and the per-dialect / per-host limits."""

from __future__ import annotations

import json
import random

import pytest

from programs.samples import noise_png, package_files, zip_files
from programs.scanning import ScanConfig
from programs.scanning.config import MB

from .helpers import only, scan, scan_built


def _expected_sizes(files: dict[str, bytes], root: str = "") -> tuple[int, int]:
    """(main, packageA/) for a built package: everything under the root except the project file."""
    shipped = {name[len(root):]: len(data) for name, data in files.items()
               if name.startswith(root) and not name.endswith(("project.config.json", "mini.project.json"))}
    sub = sum(size for name, size in shipped.items() if name.startswith("packageA/"))
    return sum(shipped.values()) - sub, sub


@pytest.mark.parametrize("dialect", ["alipay", "wechat"])
def test_sizes_split_main_and_subpackages(dialect):
    files = package_files(dialect)

    sizes = scan(zip_files(files)).sizes

    main, sub = _expected_sizes(files)
    assert sizes.main == main
    assert sizes.subpackages == {"packageA/": sub}
    assert sizes.full == main + sub


def test_sizes_are_measured_under_the_miniprogram_root():
    files = package_files("wechat", root="miniprogram/")
    files["cloudfunctions/login/index.js"] = b"x" * 5000

    sizes = scan(zip_files(files)).sizes

    assert (sizes.main, sizes.subpackages["packageA/"]) == _expected_sizes(files, "miniprogram/")


def test_files_a_host_never_ships_are_not_counted():
    files = package_files("alipay")
    baseline = scan(zip_files(files)).sizes.full
    files.update({
        "app.js.map": b"m" * 10_000, ".DS_Store": b"d" * 10_000, ".git/config": b"g" * 10_000,
        "node_modules/lodash/index.js": b"n" * 10_000, "__MACOSX/._app.js": b"r" * 10_000,
        "project.private.config.json": b"{}",
    })

    assert scan(zip_files(files)).sizes.full == baseline


def test_pack_options_ignore_rules_are_honoured():
    files = package_files("wechat")
    baseline = scan(zip_files(files)).sizes.full
    files["docs/guide.md"] = b"x" * 10_000
    files["assets/raw.psd"] = b"x" * 10_000
    files["project.config.json"] = json.dumps({"appid": "wx1", "packOptions": {"ignore": [
        {"type": "folder", "value": "docs"}, {"type": "suffix", "value": ".psd"},
        {"type": "regexp", "value": "(a+)+$"}]}}).encode()

    assert scan(zip_files(files)).sizes.full == baseline


def test_limits_are_reported_per_dialect():
    assert scan_built("alipay").sizes.limits == {"main": 2 * MB, "subpackage": 2 * MB, "full": 8 * MB}
    assert scan_built("wechat").sizes.limits["full"] == 30 * MB
    assert scan_built("douyin").sizes.limits == {"main": 4 * MB, "subpackage": 2 * MB, "full": 16 * MB}


def test_oversize_main_package_is_an_error():
    report = scan_built("alipay", files={"images/banner.png": noise_png(900, 900)})

    assert "2.00 MB" in only(report, "size.main_too_large").message


def test_oversize_subpackage_is_an_error():
    report = scan_built("alipay", files={"packageA/images/photo.png": noise_png(900, 900)})

    assert "packageA/" in only(report, "size.subpackage_too_large").message
    assert "size.main_too_large" not in report.codes()


def test_total_limit_applies_to_all_shipped_files():
    limits = {"alipay": {"full": 10_000}}

    report = scan_built("alipay", config={"size_limits": limits})

    assert "size.total_too_large" in report.codes()
    assert report.sizes.limits == {"main": 2 * MB, "subpackage": 2 * MB, "full": 10_000}


def test_host_limits_take_precedence_over_dialect_limits():
    config = {"host": "weibo", "size_limits": {"weibo": {"main": 1000}}}

    report = scan_built("alipay", config=config)

    assert report.sizes.limits["main"] == 1000
    assert "for weibo" in only(report, "size.main_too_large").message


def test_partial_limits_keep_the_other_defaults():
    config = ScanConfig(size_limits={"wechat": {"full": 20 * MB}})

    assert config.limits_for("wechat") == {"main": 2 * MB, "subpackage": 2 * MB, "full": 20 * MB}
    assert config.limits_for("alipay")["full"] == 8 * MB
    assert config.limits_for(None)["full"] == 8 * MB


def test_documentation_and_type_declarations_are_not_shipped():
    files = package_files("wechat")
    baseline = scan(zip_files(files)).sizes.full
    files.update({"miniprogram_npm/ui/README.md": b"r" * 10_000, "miniprogram_npm/ui/index.d.ts": b"t" * 10_000})

    assert scan(zip_files(files)).sizes.full == baseline


def _over_main_by(excess: int, minified: bool) -> bytes:
    files = package_files("wechat")
    project = json.loads(files["project.config.json"])
    project["setting"] = {"minified": minified}
    files["project.config.json"] = json.dumps(project).encode()
    main = sum(len(data) for name, data in files.items() if not name.startswith("packageA/")
               and name != "project.config.json")
    rng = random.Random(excess)
    lines, size = [], 0
    while size < 2 * MB - main + excess:  # random names: compressible like real code, not like a zip bomb
        lines.append(f"var v{rng.getrandbits(64):x} = '{rng.getrandbits(128):x}';\n")
        size += len(lines[-1])
    files["utils/vendor.js"] = "".join(lines).encode()
    return zip_files(files)


def test_main_package_over_the_limit_only_before_minification_is_a_warning():
    report = scan(_over_main_by(100_000, minified=True))

    assert "size.main_too_large" not in report.codes()
    assert only(report, "size.over_before_upload").severity.value == "warning"


def test_without_upload_minification_the_same_package_is_an_error():
    assert "size.main_too_large" in scan(_over_main_by(100_000, minified=False)).codes()


def test_minification_cannot_excuse_an_excess_larger_than_it_saves():
    report = scan(_over_main_by(1 * MB, minified=True))

    assert "size.main_too_large" in report.codes()


def _over_main_with_image(referenced: bool, ignore_unused: bool = True) -> bytes:
    files = package_files("wechat")
    project = json.loads(files["project.config.json"])
    project["setting"] = {"ignoreUploadUnusedFiles": ignore_unused}
    files["project.config.json"] = json.dumps(project).encode()
    files["images/cover.png"] = noise_png(900, 900)  # about 2.4 MB on its own
    if referenced:
        files["pages/index/index.wxml"] = b'<image src="/images/cover.png"/>'
    return zip_files(files)


def test_an_image_no_file_names_is_left_out_on_upload_when_the_project_says_so():
    # The WeChat IDE's ignoreUploadUnusedFiles drops it (Rainbow-Cats' unused MarketCover.jpg).
    report = scan(_over_main_with_image(referenced=False))

    assert "size.main_too_large" not in report.codes()
    assert "ignoreUploadUnusedFiles" in only(report, "size.over_before_upload").message


def test_a_named_image_still_counts():
    assert "size.main_too_large" in scan(_over_main_with_image(referenced=True)).codes()


def test_without_the_setting_an_unnamed_image_still_counts():
    assert "size.main_too_large" in scan(_over_main_with_image(referenced=False, ignore_unused=False)).codes()
