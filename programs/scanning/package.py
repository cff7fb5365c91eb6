"""The in-memory view of a validated package that every content check reads from."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .appjson import AppManifest
    from .dialects import Dialect

# Content checks read these; everything else is only hashed and measured.
SCRIPT_EXTENSIONS = frozenset({".js", ".mjs", ".cjs", ".ts", ".sjs", ".wxs"})
TEMPLATE_EXTENSIONS = frozenset({".axml", ".wxml", ".ttml", ".swan"})
TEXT_EXTENSIONS = SCRIPT_EXTENSIONS | TEMPLATE_EXTENSIONS | frozenset({
    ".json", ".acss", ".wxss", ".ttss", ".css", ".less", ".scss", ".html", ".htm", ".xml", ".txt", ".md",
    ".yml", ".yaml", ".env", ".pem", ".key", ".npmrc", ".map", ".svg",
})
UTF8_BOM = b"\xef\xbb\xbf"
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"})


def extension(name: str) -> str:
    """Lower-cased extension; a dotfile such as `.env` counts as its own extension.

    Called for every member by several checks, hence string slicing rather than os.path.
    """
    base = name[name.rfind("/") + 1:]
    dot = base.rfind(".")
    if dot < 0:
        return ""
    return base.lower() if dot == 0 else base[dot:].lower()


@dataclass
class Member:
    """A regular file of the archive whose size was verified while inflating it.

    `data` is kept only for files the content checks read (text and images) up to the member limit.
    """

    name: str
    size: int
    compressed_size: int
    sha256: str = ""
    data: bytes | None = None


@dataclass
class Package:
    """Members plus what the structure stage learnt about them (dialect, root, app.json)."""

    members: dict[str, Member]
    dialect: Dialect | None = None
    base: str = ""
    root: str = ""
    app: AppManifest | None = None
    project: dict | None = None
    shipped: list[str] = field(default_factory=list)
    _texts: dict[str, str] = field(default_factory=dict, repr=False)

    def text(self, name: str) -> str | None:
        """The member decoded as UTF-8 (BOM dropped; undecodable bytes replaced), or None if not kept."""
        if name not in self._texts:
            member = self.members.get(name)
            if member is None or member.data is None:
                return None
            data = member.data[len(UTF8_BOM):] if member.data.startswith(UTF8_BOM) else member.data
            self._texts[name] = data.decode("utf-8", errors="replace")
        return self._texts[name]

    def in_root(self, path: str) -> str:
        """An archive name for a path written relative to the mini-program root (leading `/` allowed)."""
        return self.root + posixpath.normpath(path.lstrip("/")) if path.strip("/") else self.root

    def exists(self, path: str) -> bool:
        return self.in_root(path) in self.members

    def names_with(self, extensions: frozenset[str]) -> list[str]:
        return [name for name in self.members if extension(name) in extensions]
