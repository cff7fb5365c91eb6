"""The package's files as a folder tree, flattened into open/file/close items a template can loop over."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITY_RANK = {"error": 0, "warning": 1, "notice": 2}


@dataclass
class FileMarks:
    """What the tree and the changes list say about one file."""

    findings: int = 0
    severity: str = ""  # the worst finding's
    change: str = ""  # "added", "changed" or "" (compared with the released version)
    added_files: int = 0  # folders: files added inside
    changed_files: int = 0  # folders: files changed inside

    def add_finding(self, severity: str) -> None:
        self.findings += 1
        if not self.severity or SEVERITY_RANK.get(severity, 9) < SEVERITY_RANK.get(self.severity, 9):
            self.severity = severity


@dataclass
class TreeItem:
    kind: str  # "open" (a folder starts), "file", "close" (a folder ends)
    name: str = ""
    path: str = ""
    size: int = 0
    depth: int = 0
    is_open: bool = False
    current: bool = False
    marks: FileMarks = field(default_factory=FileMarks)
    lazy: bool = False  # a closed folder whose items load when it is opened (large packages)


@dataclass
class _Folder:
    folders: dict[str, _Folder] = field(default_factory=dict)
    files: dict[str, tuple[str, int]] = field(default_factory=dict)


def file_marks(findings: list, changes: dict[str, str]) -> dict[str, FileMarks]:
    marks: dict[str, FileMarks] = {}
    for finding in findings:
        if isinstance(finding, dict) and finding.get("file"):
            marks.setdefault(finding["file"], FileMarks()).add_finding(str(finding.get("severity") or ""))
    for path, change in changes.items():
        marks.setdefault(path, FileMarks()).change = change
    return marks


# Above this many files, closed folders are sent empty and load their items when opened: the WeChat demo's
# 2,990 files made every viewer page 0.9 MB of HTML (the tree alone 744 KB), 1.2–2.1 s in Chromium.
LAZY_TREE_FILES = 400


def tree_items(files: dict[str, dict], marks: dict[str, FileMarks], current: str = "", *,
               folder: str = "") -> list[TreeItem]:
    """The whole tree; or, with `folder` ("pages/"), that folder's own items, its subfolders closed. Large
    packages' closed folders are `lazy`: sent without their items."""
    root = _Folder()
    for path, entry in files.items():
        *folders, name = path.split("/")
        node = root
        for part in folders:
            node = node.folders.setdefault(part, _Folder())
        node.files[name] = (path, entry.get("size", 0))
    node = root
    for part in folder.split("/")[:-1]:
        node = node.folders.get(part, _Folder())
    items: list[TreeItem] = []
    _walk(node, folder, folder.count("/"), current, marks, items, lazy=len(files) > LAZY_TREE_FILES,
          closed=bool(folder))
    return items


def _walk(node: _Folder, prefix: str, depth: int, current: str, marks: dict[str, FileMarks],
          items: list[TreeItem], *, lazy: bool = False, closed: bool = False) -> FileMarks:
    """Append the folder's items; returns what its files add up to (a closed folder still shows it).
    A lazy closed folder's items are worked out for its marks but not appended."""
    total = FileMarks()
    for name in sorted(node.folders, key=str.casefold):
        path = f"{prefix}{name}/"
        is_open = not closed and (depth == 0 or current.startswith(path))
        folder = TreeItem("open", name, path, depth=depth, is_open=is_open, lazy=lazy and not is_open)
        items.append(folder)
        folder.marks = _walk(node.folders[name], path, depth + 1, current, marks, [] if folder.lazy else items,
                             lazy=lazy, closed=closed)
        items.append(TreeItem("close", depth=depth))
        _add(total, folder.marks)
    for name in sorted(node.files, key=str.casefold):
        path, size = node.files[name]
        items.append(TreeItem("file", name, path, size, depth, current=path == current,
                              marks=marks.get(path, FileMarks())))
        _add(total, items[-1].marks)
    return total


def _add(total: FileMarks, marks: FileMarks) -> None:
    """A folder's marks: its files' findings (worst severity) and how many of them were added and changed (a
    folder whose one change was a new file was marked "~1", read as a changed file)."""
    for _ in range(marks.findings):
        total.add_finding(marks.severity)
    total.added_files += marks.added_files + (1 if marks.change == "added" else 0)
    total.changed_files += marks.changed_files + (1 if marks.change == "changed" else 0)
