"""tabBar rules and image checks."""

from __future__ import annotations

import json
import time
import tracemalloc

from programs.samples import noise_png, package_files, png_declaring, png_icon

from .helpers import findings_with, only, scan_built


def _tab_bar(dialect: str, pages: list[str]) -> dict:
    key, text = ("items", "name") if dialect == "alipay" else ("list", "text")
    return {key: [{"pagePath": page, text: page.split("/")[-1]} for page in pages]}


def test_a_single_tab_is_too_few():
    report = scan_built("alipay", app_json={"tabBar": _tab_bar("alipay", ["pages/index/index"])})

    assert only(report, "tabbar.too_few").line is not None


def test_six_tabs_are_too_many():
    report = scan_built("wechat", tab_count=6)

    assert "6 tabs" in only(report, "tabbar.too_many").message


def test_five_tabs_are_fine():
    assert scan_built("wechat", tab_count=5).errors == 0


def test_alipay_tab_bar_written_the_wechat_way_is_invalid():
    report = scan_built("alipay", app_json={"tabBar": _tab_bar("wechat", ["pages/index/index", "pages/profile/profile"])})

    assert "items" in only(report, "tabbar.invalid").message


def test_tab_without_its_text_is_invalid():
    tab_bar = {"list": [{"pagePath": "pages/index/index"}, {"pagePath": "pages/profile/profile", "text": "Me"}]}

    assert "tabbar.invalid" in scan_built("wechat", app_json={"tabBar": tab_bar}).codes()


def test_tab_page_not_in_pages_is_an_error():
    report = scan_built("wechat", app_json={"tabBar": _tab_bar("wechat", ["pages/index/index", "pages/nowhere/x"])})

    assert "pages/nowhere/x" in only(report, "tabbar.page_unknown").message


def test_tab_icon_over_40_kb_is_an_error():
    report = scan_built("alipay", files={"images/tab1.png": noise_png(120, 120)})

    finding = only(report, "tabbar.icon_too_large")
    assert "images/tab1.png" in finding.message
    assert finding.file == "app.json"


def test_tab_icon_size_limit_is_configurable():
    report = scan_built("alipay", config={"tab_icon_max_bytes": 100})

    assert findings_with(report, "tabbar.icon_too_large")


def test_tab_icon_far_from_81_pixels_is_a_warning():
    report = scan_built("alipay", files={"images/tab1.png": png_icon(size=40)})

    finding = only(report, "tabbar.icon_dimensions")
    assert finding.severity.value == "warning"
    assert "40x40" in finding.message


def test_tab_icon_close_to_81_pixels_is_fine():
    assert "tabbar.icon_dimensions" not in scan_built("alipay", files={"images/tab1.png": png_icon(size=88)}).codes()


def test_missing_tab_icon_is_an_error():
    assert "tabbar.icon_missing" in scan_built("wechat", files={"images/tab1-active.png": None}).codes()


def test_themed_tab_icons_are_checked_in_every_mode():
    report = scan_built("wechat", files={"images/home-dark.png": None})

    assert "images/home-dark.png" in only(report, "tabbar.icon_missing").message


def test_tab_icon_that_is_not_an_image_is_a_format_error():
    assert "tabbar.icon_format" in scan_built("alipay", files={"images/tab1.png": b"not a png"}).codes()


def test_network_tab_icon_is_a_format_error():
    app = json.loads(package_files("wechat")["app.json"])
    app["tabBar"]["list"][1]["iconPath"] = "https://cdn.example.com/tab.png"

    assert "tabbar.icon_format" in scan_built("wechat", app_json=app).codes()


def test_image_declaring_ten_billion_pixels_is_a_bomb_found_quickly():
    tracemalloc.start()
    started = time.perf_counter()

    report = scan_built("alipay", files={"images/huge.png": png_declaring(100_000, 100_000)})

    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert only(report, "image.bomb").file == "images/huge.png"
    assert time.perf_counter() - started < 2
    assert peak < 50 * 1024 * 1024


def test_image_over_the_configured_pixel_limit_is_a_bomb():
    report = scan_built("alipay", files={"images/big.png": png_declaring(6000, 6000)})

    assert "6000x6000" in only(report, "image.bomb").message


def test_bomb_used_as_tab_icon_is_reported_once():
    report = scan_built("alipay", files={"images/tab1.png": png_declaring(100_000, 100_000)})

    assert len(findings_with(report, "image.bomb")) == 1


def test_unreadable_image_is_a_warning():
    report = scan_built("alipay", files={"images/photo.jpg": b"\xff\xd8\xff garbage"})

    assert only(report, "image.unreadable").severity.value == "warning"


def test_tab_icon_larger_than_81_pixels_is_scaled_down_without_a_warning():
    # Real packages (the WeChat demo, Alipay samples) ship 200x200 and 256x256 icons: sharp when scaled down.
    assert "tabbar.icon_dimensions" not in scan_built("alipay", files={"images/tab1.png": png_icon(size=256)}).codes()


def test_tab_icon_size_follows_the_dialects_recommendation():
    # Alipay recommends 60x60, WeChat 81x81: a 52-pixel icon is fine for the first, blurry for the second.
    assert "tabbar.icon_dimensions" not in scan_built("alipay", files={"images/tab1.png": png_icon(size=52)}).codes()
    assert "tabbar.icon_dimensions" in scan_built("wechat", files={"images/tab1.png": png_icon(size=52)}).codes()


def test_an_unreadable_image_says_why_in_words_not_pillows_internals():
    report = scan_built("alipay", files={"images/fake.png": b'<svg xmlns="http://www.w3.org/2000/svg"/>'})

    message = only(report, "image.unreadable").message
    assert message == "images/fake.png cannot be decoded (its content is not a PNG, JPEG, GIF, WebP or BMP image)."


def test_a_tab_icon_cut_short_is_named_damaged():
    report = scan_built("alipay", files={"images/tab1.png": png_icon(size=81)[:-40]})

    message = only(report, "tabbar.icon_format").message
    assert message == "Tab icon images/tab1.png cannot be decoded (its image data is damaged or cut short)."
