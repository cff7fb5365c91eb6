"""The code viewer in headless Chromium: a reviewer browses the tree of a version in review, opens the file
with a finding from the scan report and sees it at its line, reads the content diff of a changed file; the
developer sees the same viewer for their own version."""

import re
import time

import pytest
from playwright.sync_api import expect

from programs.tests.codeview import NEARBY_JS, minified_js, program_with_release
from reviews.tests.test_browser import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def versions(org):
    return program_with_release(org, new_files={
        "utils/nearby.js": NEARBY_JS, "vendor/confetti.min.js": minified_js(2 * 1024 * 1024),
        "fonts/icons.woff2": b"wOF2\x00\x01\x00\x00" + bytes(range(256)) * 4})


def test_reviewer_browses_the_code_and_the_content_diff(page, screenshot, reviewer, versions):
    program, released, review = versions
    sign_in(page, reviewer)
    page.goto(f"/reviews/{review.pk}/")
    screenshot(page, "review-page")

    page.locator("#diff").get_by_role("link", name="Browse the code").click()
    expect(page).to_have_url(re.compile(rf"/reviews/{review.pk}/code/$"))
    tree = page.get_by_role("complementary", name="Files of the package")
    expect(tree).to_contain_text("app.js")
    expect(tree.get_by_role("link", name=re.compile("nearby.js"))).to_be_visible()
    screenshot(page, "tree")

    # The scan report's finding links to its file and line; the line is highlighted, the finding under it.
    page.goto(f"/reviews/{review.pk}/")
    page.get_by_role("link", name="app.js:19").click()
    expect(page).to_have_url(re.compile(r"code/\?path=app\.js&line=19#L19$"))
    row = page.locator("#L19")
    expect(row).to_contain_text("require('./prizes/' + tier)")
    expect(row).to_have_class(re.compile("cv-flag-warning"))
    expect(page.locator(".cv-inline")).to_contain_text("code.dynamic_load")
    assert page.evaluate("getComputedStyle(document.querySelector('#L19')).backgroundColor") == "rgb(255, 248, 197)"
    screenshot(page, "finding-at-its-line")

    # The changes: list first, with the markers, then the diff of the changed app.js.
    page.get_by_role("link", name=re.compile("Changes since 1.0.0")).click()
    listing = page.locator(".cv-changes-table")
    expect(listing.locator("tr", has_text="utils/nearby.js")).to_contain_text("permission scope.camera")
    expect(listing.locator("tr", has_text="utils/nearby.js")).to_contain_text("domain cdn.example.com")
    expect(listing.get_by_role("row", name=re.compile(r"^~ app\.js "))).to_contain_text("1 finding · 1 new")
    listing.get_by_role("link", name="app.js", exact=True).click()
    diff = page.locator("#file-diff")
    expect(diff.locator(".cv-add").first).to_be_visible()
    expect(diff.locator(".cv-add", has_text="require('./prizes/' + tier)")).to_have_count(1)
    expect(diff.locator(".cv-inline")).to_contain_text("code.dynamic_load")
    screenshot(page, "content-diff")
    diff.get_by_role("link", name="Side by side").click()
    split = page.locator(".cv-split")
    expect(split.locator(".cv-srow", has_text="require('./prizes/' + tier)").locator(".cv-src.cv-add")).to_have_count(1)
    expect(page.locator(".cv-inline-split")).to_contain_text("code.dynamic_load")
    screenshot(page, "content-diff-side-by-side")

    # The 2 MB minified file opens quickly, one bounded part at a time.
    started = time.perf_counter()
    page.goto(f"/reviews/{review.pk}/code/?path=vendor/confetti.min.js", wait_until="load")
    print(f"2 MB minified file, first part: loaded in the browser in {time.perf_counter() - started:.2f} s")
    expect(page.locator(".cv-pager").first).to_contain_text("part 1 of")
    assert page.locator(".cv-row").count() <= 1000
    screenshot(page, "minified")
    screenshot(page, "minified-top", full_page=False)  # the first screenful, readable


def test_developer_sees_the_viewer_of_their_own_version(page, screenshot, owner, org, versions):
    program, released, review = versions
    sign_in(page, owner)
    page.goto(f"/orgs/{org.slug}/programs/{program.appid}/versions/1.1.0/")
    page.locator(".page-actions").get_by_role("link", name="Browse the code").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Code Viewer Demo 1.1.0: code")
    page.get_by_role("link", name=re.compile("home.png")).first.click()
    expect(page.locator(".cv-image img")).to_be_visible()
    assert page.locator(".cv-image img").evaluate("img => img.decode().then(() => img.naturalWidth)") == 81
    screenshot(page, "image-preview")
    page.get_by_role("link", name=re.compile("icons.woff2")).click()
    expect(page.locator(".cv-binary")).to_contain_text("Binary file: WOFF2 font.")
    expect(page.locator(".cv-hex")).to_contain_text("00000000  77 4f 46 32")
    screenshot(page, "binary")
    page.get_by_role("link", name=re.compile("Changes since 1.0.0")).click()
    expect(page.locator(".cv-changes-table")).to_contain_text("utils/nearby.js")
    screenshot(page, "changes")


def test_a_large_packages_folder_loads_its_files_when_opened(page, reviewer, versions, monkeypatch):
    from programs.codeview import tree

    monkeypatch.setattr(tree, "LAZY_TREE_FILES", 2)  # this package counts as large
    _program, _released, review = versions
    sign_in(page, reviewer)
    page.goto(f"/reviews/{review.pk}/code/?path=app.js")
    files = page.get_by_role("complementary", name="Files of the package")
    folder = files.locator("details", has=page.locator("summary", has_text="packageA/")).first
    expect(folder.get_by_role("link", name=re.compile("detail.js"))).to_have_count(0)  # open, its folders not
    pages = folder.locator("details", has=page.locator("summary", has_text="pages/")).first
    pages.locator("summary").first.click()
    detail = pages.locator("details", has=page.locator("summary", has_text="detail/")).first
    detail.locator("summary").first.click()
    link = detail.get_by_role("link", name="detail.js", exact=True)
    expect(link).to_be_visible()
    link.click()
    expect(page).to_have_url(re.compile(r"path=packageA%2Fpages%2Fdetail%2Fdetail\.js$"))
