"""reviews.diff: pure comparisons of two scan reports and two submission snapshots (no database)."""

from reviews.diff import FileChange, set_change, version_diff
from reviews.tests.factories import metadata, scan_report


def _diff(old_report, new_report, old_meta=None, new_meta=None):
    return version_diff(new_report=new_report, new_metadata=new_meta or metadata(),
                        old_report=old_report, old_metadata=old_meta or metadata())


def test_files_added_removed_and_changed_with_size_deltas():
    old = scan_report(files={"app.json": 100, "pages/a.js": 1000, "pages/gone.js": 300})
    new = scan_report(files={"app.json": 100, "pages/a.js": 1500, "pages/new.js": 40})
    diff = _diff(old, new)
    assert diff.files_added == [FileChange("pages/new.js", None, 40)]
    assert diff.files_removed == [FileChange("pages/gone.js", 300, None)]
    assert diff.files_changed == [FileChange("pages/a.js", 1000, 1500)]
    assert [f.delta for f in diff.files_added + diff.files_removed + diff.files_changed] == [40, -300, 500]
    assert diff.files_unchanged == 1
    assert (diff.size_before, diff.size_after, diff.size_delta) == (1400, 1640, 240)


def test_same_size_but_different_hash_counts_as_changed():
    old = scan_report(files={"a.js": 10})
    new = scan_report(files={"a.js": 10})
    new["files"]["a.js"]["sha256"] = "something else"
    diff = _diff(old, new)
    assert diff.files_changed == [FileChange("a.js", 10, 10)]
    assert diff.files_changed[0].delta == 0


def test_identical_packages_have_no_file_changes():
    diff = _diff(scan_report(), scan_report())
    assert not diff.has_file_changes
    assert diff.files_unchanged == 2


def test_new_and_dropped_permissions():
    old = scan_report(permissions=["scope.userLocation"])
    new = scan_report(permissions=["scope.camera", "scope.userLocation", "getPhoneNumber"])
    diff = _diff(old, new)
    assert diff.permissions.added == ["getPhoneNumber", "scope.camera"]
    assert diff.permissions.removed == []
    assert bool(diff.permissions)


def test_new_domains_from_code_and_from_the_allowlist():
    old_meta = metadata(domains={"request": ["https://api.example.com"]})
    new_meta = metadata(domains={"request": ["https://api.example.com", "https://pay.example.net"],
                                 "socket": ["wss://live.example.org"]})
    old = scan_report(domains=["api.example.com"])
    new = scan_report(domains=["api.example.com", "cdn.example.com"])
    diff = _diff(old, new, old_meta, new_meta)
    assert diff.code_domains.added == ["cdn.example.com"]
    assert diff.allowlist.added == ["request: https://pay.example.net", "socket: wss://live.example.org"]
    assert diff.new_domains == ["cdn.example.com", "live.example.org", "pay.example.net"]


def test_removed_domains_are_not_new():
    diff = _diff(scan_report(domains=["a.example.com", "b.example.com"]), scan_report(domains=["a.example.com"]))
    assert diff.code_domains.removed == ["b.example.com"]
    assert diff.new_domains == []


def test_category_changes():
    diff = _diff(scan_report(), scan_report(), metadata(categories=["tools", "games"]),
                 metadata(categories=["tools", "finance"]))
    assert diff.categories.added == ["finance"]
    assert diff.categories.removed == ["games"]
    assert diff.metadata_known


def test_a_release_without_a_snapshot_has_unknown_categories():
    diff = version_diff(new_report=scan_report(), new_metadata=metadata(), old_report=scan_report(), old_metadata={})
    assert not diff.metadata_known
    assert diff.categories.added == []


def test_first_release_makes_everything_new():
    new = scan_report(files={"app.json": 10, "a.js": 20}, permissions=["scope.camera"], domains=["api.example.com"])
    diff = version_diff(new_report=new, new_metadata=metadata(categories=["games"]), first_release=True)
    assert diff.first_release
    assert [f.path for f in diff.files_added] == ["a.js", "app.json"]
    assert diff.permissions.added == ["scope.camera"]
    assert diff.categories.added == ["games"]
    assert "api.example.com" in diff.new_domains
    assert diff.size_before == 0 and diff.size_after == 30


def test_missing_and_malformed_reports_are_read_defensively():
    diff = version_diff(new_report=None, new_metadata=None, old_report={"files": "junk", "permissions": None},
                        old_metadata={"categories": None})
    assert not diff.has_file_changes
    assert not diff.permissions and not diff.categories and diff.new_domains == []
    odd = {"files": {"ok.js": {"size": 5, "sha256": "x"}, "bad": "not a dict", "nosize.js": {"sha256": "y"}}}
    assert [f.path for f in version_diff(new_report=odd, new_metadata={}, first_release=True).files_added] == [
        "nosize.js", "ok.js"]


def test_set_change_sorts_and_deduplicates():
    change = set_change(["b", "a", "a"], ["c", "b", "c"])
    assert (change.added, change.removed) == (["c"], ["a"])
