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


def tree_items(files: dict[str, dict], marks: dict[str, FileMarks], current: str = "") -> list[TreeItem]:
    root = _Folder()
    for path, entry in files.items():
        *folders, name = path.split("/")
        node = root
        for folder in folders:
            node = node.folders.setdefault(folder, _Folder())
        node.files[name] = (path, entry.get("size", 0))
    items: list[TreeItem] = []
    _walk(root, "", 0, current, marks, items)
    return items


def _walk(node: _Folder, prefix: str, depth: int, current: str, marks: dict[str, FileMarks],
          items: list[TreeItem]) -> FileMarks:
    """Append the folder's items; returns what its files add up to (a closed folder still shows it)."""
    total = FileMarks()
    for name in sorted(node.folders, key=str.casefold):
        path = f"{prefix}{name}/"
        folder = TreeItem("open", name, path, depth=depth, is_open=depth == 0 or current.startswith(path))
        items.append(folder)
        folder.marks = _walk(node.folders[name], path, depth + 1, current, marks, items)
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
