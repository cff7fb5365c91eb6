"""Reading one member of a stored package, as the scanner accepted it, without extracting the archive.

A member is looked up by the name the scanner gave it, and only if it is in the scan report's manifest
(`files`) *and* among the central-directory entries the scanner's own checks accept: a name the scanner
refused (`..`, absolute, duplicate, symlink, encrypted …) can never be read here. Bytes are inflated in
bounded chunks (the scanner's `member_chunks`), at most `limit` are kept, and a member read whole must
hash to the SHA-256 the scanner recorded.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass

from programs.scanning import ScanConfig
from programs.scanning.archive import READ_ERRORS, accepted_members
from programs.scanning.zipreader import member_chunks


class MemberUnavailable(Exception):
    """The path is not a member the scanner accepted, or its bytes are not the ones the scanner read."""


@dataclass(frozen=True)
class MemberBytes:
    path: str
    size: int  # the whole member, as the manifest records it
    sha256: str
    data: bytes  # at most the reader's limit

    @property
    def truncated(self) -> bool:
        return len(self.data) < self.size


def manifest(report: dict | None) -> dict[str, dict]:
    """{path: {"size", "sha256"}} from a stored scan report, read defensively (older reports stored less)."""
    files = (report or {}).get("files") if isinstance(report, dict) else None
    if not isinstance(files, dict):
        return {}
    entries = {}
    for path, entry in files.items():
        if isinstance(entry, dict) and isinstance(entry.get("size"), int):
            entries[str(path)] = {"size": entry["size"], "sha256": str(entry.get("sha256") or "")}
    return entries


class PackageReader:
    """Reads members of one version's stored package; the archive is opened on the first read only.

        with PackageReader(version) as reader:
            member = reader.read("pages/index/index.js", limit=4 * 1024 * 1024)
    """

    def __init__(self, version):
        self.version = version
        self.files = manifest(version.scan_report)
        self._stream = None
        self._members: dict[str, zipfile.ZipInfo] | None = None

    def __enter__(self) -> PackageReader:
        return self

    def __exit__(self, *exc) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def read(self, path: str, *, limit: int) -> MemberBytes:
        entry = self.files.get(path)
        if entry is None:
            raise MemberUnavailable(path)
        info = self._accepted().get(path)
        if info is None or info.file_size != entry["size"]:
            raise MemberUnavailable(path)
        data, complete, digest = self._inflate(info, limit)
        if complete and entry["sha256"] and digest != entry["sha256"]:
            raise MemberUnavailable(path)
        return MemberBytes(path, entry["size"], entry["sha256"], data)

    def chunks(self, path: str):
        """The whole member in bounded chunks (downloads); stops if it inflates past its recorded size."""
        entry = self.files.get(path)
        info = self._accepted().get(path) if entry else None
        if info is None or info.file_size != entry["size"]:
            raise MemberUnavailable(path)
        return self._chunks(info)

    def _chunks(self, info: zipfile.ZipInfo):
        real = 0
        for chunk in member_chunks(self._stream, info):
            real += len(chunk)
            if real > info.file_size:
                return
            yield chunk

    def _accepted(self) -> dict[str, zipfile.ZipInfo]:
        if self._members is None:
            self._members = {}
            if not self.files:
                return self._members  # the scan kept nothing: do not even parse the directory
            try:
                self._stream = self.version.package.open("rb")
                with zipfile.ZipFile(self._stream) as archive:
                    infos = archive.infolist()
            except (*READ_ERRORS, UnicodeDecodeError):
                return self._members
            self._members = accepted_members(infos, ScanConfig(), self.version.package_size)
        return self._members

    def _inflate(self, info: zipfile.ZipInfo, limit: int) -> tuple[bytes, bool, str]:
        """(at most `limit` bytes, whether the whole member was read, its SHA-256 if it was)."""
        digest, parts, kept, real = hashlib.sha256(), [], 0, 0
        try:
            for chunk in member_chunks(self._stream, info):
                real += len(chunk)
                if real > info.file_size:
                    raise MemberUnavailable(info.filename)
                digest.update(chunk)
                parts.append(chunk[: max(0, limit - kept)])
                kept += len(parts[-1])
                if kept >= limit and real < info.file_size:
                    return b"".join(parts), False, ""
        except READ_ERRORS as error:
            raise MemberUnavailable(info.filename) from error
        if real != info.file_size:
            raise MemberUnavailable(info.filename)
        return b"".join(parts), True, digest.hexdigest()
