"""What changed between the last released version and another version of the same program.

Pure functions over stored data: two scan reports (`files` {path: {size, sha256}},
`permissions`, `domains`) and two submission snapshots (`categories`, `domains`
{kind: [entries]}). No ORM, so the review page, the API and the auto-approval
policy share it and the tests need no database. Reports are read defensively:
older scanners stored less.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FileChange:
    path: str
    old_size: int | None
    new_size: int | None

    @property
    def delta(self) -> int:
        return (self.new_size or 0) - (self.old_size or 0)


@dataclass(frozen=True)
class SetChange:
    """Items that appeared and disappeared between two lists (sorted, de-duplicated)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed)


@dataclass(frozen=True)
class VersionDiff:
    first_release: bool
    files_added: list[FileChange] = field(default_factory=list)
    files_removed: list[FileChange] = field(default_factory=list)
    files_changed: list[FileChange] = field(default_factory=list)
    files_unchanged: int = 0
    size_before: int = 0
    size_after: int = 0
    permissions: SetChange = field(default_factory=SetChange)
    code_domains: SetChange = field(default_factory=SetChange)
    allowlist: SetChange = field(default_factory=SetChange)
    categories: SetChange = field(default_factory=SetChange)
    # False when the released version predates submission snapshots: its categories are unknown.
    metadata_known: bool = True

    @property
    def size_delta(self) -> int:
        return self.size_after - self.size_before

    @property
    def new_domains(self) -> list[str]:
        """Hosts the version talks to, or may talk to, that the released version did not."""
        hosts = set(self.code_domains.added) | {_host(entry) for entry in self.allowlist.added}
        return sorted(hosts)

    @property
    def has_file_changes(self) -> bool:
        return bool(self.files_added or self.files_removed or self.files_changed)


def _files(report: dict | None) -> dict[str, tuple[int, str]]:
    files = (report or {}).get("files")
    if not isinstance(files, dict):
        return {}
    manifest = {}
    for path, entry in files.items():
        if isinstance(entry, dict):
            size = entry.get("size") if isinstance(entry.get("size"), int) else 0
            manifest[str(path)] = (size, str(entry.get("sha256") or ""))
    return manifest


def _strings(value) -> set[str]:
    if isinstance(value, dict):  # {kind: [...]} — flatten as "kind: item"
        return {f"{kind}: {item}" for kind, items in value.items() for item in _strings(items)}
    if isinstance(value, list | tuple | set):
        return {str(item) for item in value if item not in (None, "")}
    return set()


def _host(entry: str) -> str:
    """`request: https://api.example.com` → `api.example.com`."""
    value = entry.split(": ", 1)[-1]
    return value.split("://", 1)[-1].split("/", 1)[0]


def set_change(old, new) -> SetChange:
    before, after = _strings(old), _strings(new)
    return SetChange(sorted(after - before), sorted(before - after))


def file_changes(old_report: dict | None, new_report: dict | None) -> tuple[list, list, list, int]:
    old, new = _files(old_report), _files(new_report)
    added = [FileChange(p, None, new[p][0]) for p in sorted(new.keys() - old.keys())]
    removed = [FileChange(p, old[p][0], None) for p in sorted(old.keys() - new.keys())]
    changed, unchanged = [], 0
    for path in sorted(old.keys() & new.keys()):
        if old[path] == new[path]:
            unchanged += 1
        else:
            changed.append(FileChange(path, old[path][0], new[path][0]))
    return added, removed, changed, unchanged


def _total(report: dict | None) -> int:
    return sum(size for size, _ in _files(report).values())


def version_diff(
    *, new_report: dict | None, new_metadata: dict | None,
    old_report: dict | None = None, old_metadata: dict | None = None, first_release: bool = False,
) -> VersionDiff:
    """Compare the version in review (`new_…`) with the last released one (`old_…`).

    With `first_release` (nothing released yet) everything the new version has counts as new.
    """
    new_metadata = new_metadata if isinstance(new_metadata, dict) else {}
    if first_release:
        old_report, old_metadata = {}, {"categories": [], "domains": {}}
    old_metadata = old_metadata if isinstance(old_metadata, dict) else {}
    added, removed, changed, unchanged = file_changes(old_report, new_report)
    known = "categories" in old_metadata
    return VersionDiff(
        first_release=first_release,
        files_added=added, files_removed=removed, files_changed=changed, files_unchanged=unchanged,
        size_before=_total(old_report), size_after=_total(new_report),
        permissions=set_change((old_report or {}).get("permissions"), (new_report or {}).get("permissions")),
        code_domains=set_change((old_report or {}).get("domains"), (new_report or {}).get("domains")),
        allowlist=set_change(old_metadata.get("domains"), new_metadata.get("domains")),
        categories=set_change(old_metadata.get("categories"), new_metadata.get("categories")) if known else SetChange(),
        metadata_known=known,
    )
