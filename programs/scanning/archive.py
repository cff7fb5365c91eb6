"""Archive safety: open a zip that may be hostile and read it at a bounded cost.

Modelled on addons-server's `SafeZip`, with two layers:

1. Before inflating anything, the central directory is validated: the entry count (read from the
   end-of-central-directory record before `zipfile` parses the directory), names, types, flags,
   compression methods, duplicates, overlapping entries, declared sizes and ratios.
2. While inflating (see `zipreader`), every member is read in bounded chunks and its real size is
   counted, because headers can lie: reading stops as soon as the count passes the declared size,
   so the total work is bounded by the declared sizes that layer 1 accepted (plus one chunk).

Nothing is written to disk. Text and image members are kept in memory for the content checks;
everything else is streamed through SHA-256 and dropped.
"""

from __future__ import annotations

import io
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO

from .codes import new_finding
from .config import ScanConfig
from .deadline import Deadline
from .findings import Finding
from .inflating import PositionalReader, Reopen, inflate_all
from .package import Member
from .zipreader import raw_name

Source = str | os.PathLike | bytes | BinaryIO

MAX_NAME_CHARS = 1024
MAX_COMPONENT_CHARS = 255
# A central-directory record is 46 bytes plus name/extra/comment; 512 per entry is generous, so a
# directory bigger than this is hiding more entries than the record admits (zipfile ignores the count).
CENTRAL_DIRECTORY_BYTES_PER_ENTRY = 512
LOCAL_HEADER_BYTES = 30
EOCD = struct.Struct("<4s4H2LH")
EOCD_SIGNATURE = b"PK\x05\x06"
ZIP64_LOCATOR = struct.Struct("<4sLQL")
ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# ASCII components that start with a letter, digit or underscore, no backslash or colon: no check can
# object to such a name (no '..', '.' or empty component, not absolute, no drive letter) when it is short.
PLAIN_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.\-]*)*/?")
DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
SUPPORTED_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error, NotImplementedError,
               RuntimeError)


@dataclass
class ArchiveResult:
    """The verified members, the archive findings, and whether a fatal problem stopped the scan."""

    members: dict[str, Member] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    stopped: bool = False


@dataclass
class _Entry:
    """A central-directory entry that passed the name checks."""

    name: str
    info: zipfile.ZipInfo


def read_archive(
    source: Source, config: ScanConfig, deadline: Deadline, on_progress: Callable[[float], None],
    on_member: Callable[[Member], None] | None = None,
) -> ArchiveResult:
    """Validate and read the archive; never raises for a hostile or broken file.

    `on_member` is called with each member as it is read (see `prescan`).
    """
    with _opened(source) as (stream, size, reopen):
        refusal = _refuse_before_parsing(stream, size, config)
        if refusal is not None:
            return ArchiveResult(findings=[refusal], stopped=True)
        archive, failure = _open_zip(stream)
        if archive is None:
            return ArchiveResult(findings=[failure], stopped=True)
        with archive:
            infos = archive.infolist()
        return _read_validated(stream, reopen, infos, size, config, deadline, on_progress, on_member)


def _read_validated(stream: BinaryIO, reopen: Reopen, infos: list[zipfile.ZipInfo], size: int, config: ScanConfig,
                    deadline: Deadline, on_progress: Callable[[float], None],
                    on_member: Callable[[Member], None] | None) -> ArchiveResult:
    entries, findings = inspect_central_directory(infos, config, size)
    if any(finding.code in _STOPPING_CODES for finding in findings):
        return ArchiveResult(findings=findings, stopped=True)
    if not entries:
        findings = findings or [new_finding("archive.empty", "The archive contains no files.")]
        return ArchiveResult(findings=findings, stopped=True)
    members, inflate_findings, stopped = inflate_all(stream, reopen, entries, config, deadline, on_progress,
                                                     READ_ERRORS, on_member)
    return ArchiveResult(members, findings + inflate_findings, stopped)


_STOPPING_CODES = frozenset(
    {"archive.too_many_entries", "archive.too_large", "archive.ratio", "archive.overlapping_entries"})


@contextmanager
def _opened(source: Source) -> Iterator[tuple[BinaryIO, int, Reopen]]:
    """The stream, its size, and how another thread can get its own handle (None: it cannot)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source), len(source), lambda: io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            yield stream, os.fstat(stream.fileno()).st_size, lambda: PositionalReader(stream.fileno())
    else:
        source.seek(0, os.SEEK_END)
        size = source.tell()
        source.seek(0)
        yield source, size, None


# --- before zipfile parses anything -------------------------------------------------------------


def _refuse_before_parsing(stream: BinaryIO, size: int, config: ScanConfig) -> Finding | None:
    """Classify non-zips and refuse huge central directories before `zipfile` loads them into memory."""
    if size == 0:
        return new_finding("archive.not_zip", "The file is empty.")
    stream.seek(0)
    head = stream.read(4)
    extent = _central_directory_extent(stream, size)
    if extent is None:
        if head.startswith(b"PK"):
            return new_finding("archive.corrupt", "The zip is truncated: its central directory is missing.")
        return new_finding("archive.not_zip", "The file is not a zip archive.")
    entries, directory_bytes = extent
    directory_budget = config.max_entries * CENTRAL_DIRECTORY_BYTES_PER_ENTRY + 65536
    if entries > config.max_entries or directory_bytes > directory_budget:
        return new_finding(
            "archive.too_many_entries",
            f"The archive declares {entries:,} entries ({directory_bytes:,}-byte directory); "
            f"the limit is {config.max_entries:,}.",
        )
    return None


def _central_directory_extent(stream: BinaryIO, size: int) -> tuple[int, int] | None:
    """(entry count, directory bytes) from the end record, or None when there is no end record."""
    tail_size = min(size, EOCD.size + 65535)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    at = tail.rfind(EOCD_SIGNATURE)
    if at < 0 or at + EOCD.size > len(tail):
        return None
    fields_ = EOCD.unpack_from(tail, at)
    entries, directory_bytes, directory_offset = fields_[4], fields_[5], fields_[6]
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF or directory_offset == 0xFFFFFFFF:
        return _zip64_extent(stream, tail, at) or (entries, directory_bytes)
    return entries, directory_bytes


def _zip64_extent(stream: BinaryIO, tail: bytes, eocd_at: int) -> tuple[int, int] | None:
    locator_at = eocd_at - ZIP64_LOCATOR.size
    if locator_at < 0 or tail[locator_at:locator_at + 4] != ZIP64_LOCATOR_SIGNATURE:
        return None
    record_offset = ZIP64_LOCATOR.unpack_from(tail, locator_at)[2]
    stream.seek(record_offset)
    record = stream.read(ZIP64_EOCD.size)
    if len(record) < ZIP64_EOCD.size or not record.startswith(ZIP64_EOCD_SIGNATURE):
        return None
    values = ZIP64_EOCD.unpack(record)
    return values[7], values[8]


def _open_zip(stream: BinaryIO) -> tuple[zipfile.ZipFile | None, Finding | None]:
    stream.seek(0)
    try:
        return zipfile.ZipFile(stream), None
    except UnicodeDecodeError:
        # zipfile decodes names flagged as UTF-8 eagerly, so one bad name makes the directory unreadable.
        return None, new_finding("archive.bad_name", "A member name flagged as UTF-8 is not valid UTF-8.")
    except READ_ERRORS as error:
        return None, new_finding("archive.corrupt", f"The zip cannot be read: {error}.")


# --- the central directory --------------------------------------------------------------------


def inspect_central_directory(
    infos: list[zipfile.ZipInfo], config: ScanConfig, archive_size: int
) -> tuple[list[_Entry], list[Finding]]:
    """Entries safe to inflate, and findings about all entries. Nothing is decompressed here."""
    if len(infos) > config.max_entries:
        return [], [new_finding(
            "archive.too_many_entries", f"The archive has {len(infos):,} entries; the limit is {config.max_entries:,}.")]
    findings: list[Finding] = []
    named: list[_Entry] = []
    for info in infos:
        name, name_findings = _checked_name(info)
        findings += name_findings
        if name is not None:
            named.append(_Entry(name, info))
    files = [entry for entry in named if not entry.info.is_dir()]
    safe = [entry for entry in files if not _type_findings(entry, findings)]
    unique = _without_duplicates(safe, findings)
    findings += _budget_findings([info for info in infos if not info.is_dir()], config, archive_size)
    findings += _overlap_findings(infos)
    return unique, findings


def _checked_name(info: zipfile.ZipInfo) -> tuple[str | None, list[Finding]]:
    """The member's real name, or None (with findings) when it must not be used."""
    name = info.orig_filename
    if len(name) <= MAX_COMPONENT_CHARS and PLAIN_NAME.fullmatch(name):
        return name, []  # most names: nothing below can object to them
    name = _decoded_name(info)
    if name is None:
        shown = info.orig_filename.encode("cp437", errors="replace").decode("ascii", errors="backslashreplace")
        return None, [new_finding("archive.bad_name", f"Member name {shown} is not valid UTF-8.", file=shown)]
    problems = _name_problems(name)
    return (None if problems else name), [new_finding(code, message, file=name) for code, message in problems]


def _decoded_name(info: zipfile.ZipInfo) -> str | None:
    """Names without the UTF-8 flag were decoded as cp437 by zipfile; many tools write UTF-8 anyway."""
    if info.flag_bits & 0x800 or info.orig_filename.isascii():
        return info.orig_filename
    try:
        return info.orig_filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None


def _name_problems(name: str) -> list[tuple[str, str]]:
    problems = []
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        problems.append(("archive.path_traversal", f"Member name {name!r} contains '..' and escapes the package."))
    if name.startswith(("/", "\\")):
        problems.append(("archive.absolute_path", f"Member name {name!r} is absolute."))
    if "\\" in name:
        problems.append(("archive.backslash", f"Member name {name!r} uses backslashes as separators."))
    reason = _bad_name_reason(name, parts)
    if reason:
        problems.append(("archive.bad_name", f"Member name {name!r} {reason}."))
    return problems


def _bad_name_reason(name: str, parts: list[str]) -> str | None:
    if CONTROL_CHARACTERS.search(name):
        return "contains control characters"
    if (hidden := _format_character(name)) is not None:
        return f"contains U+{ord(hidden):04X}, an invisible or direction-changing character"
    if DRIVE_LETTER.match(name):
        return "starts with a drive letter"
    if len(name) > MAX_NAME_CHARS or any(len(part) > MAX_COMPONENT_CHARS for part in parts):
        return "is too long"
    inner = parts[1:-1] if name.startswith(("/", "\\")) else parts[:-1]
    if "." in parts or "" in inner:
        return "has empty or '.' components"
    return None


def _format_character(name: str) -> str | None:
    """The first Unicode format character (category Cf) in `name`, if any.

    They change how a name reads without showing: `utils/\u202egnp.js` displays as `utils/sj.png`
    (a right-to-left override), `x\u200b.js` as `x.js` (a zero-width space).
    """
    if name.isascii():
        return None  # no ASCII character is a format character
    return next((character for character in name if unicodedata.category(character) == "Cf"), None)


def _type_findings(entry: _Entry, findings: list[Finding]) -> bool:
    """Append findings for members that must not be inflated; True if the entry is refused."""
    info, before = entry.info, len(findings)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        findings.append(new_finding("archive.symlink", f"{entry.name} is a symbolic link.", file=entry.name))
    elif stat.S_IFMT(mode) and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        findings.append(new_finding("archive.special_file", f"{entry.name} is not a regular file.", file=entry.name))
    if info.flag_bits & 0x41:
        findings.append(new_finding("archive.encrypted", f"{entry.name} is encrypted.", file=entry.name))
    elif info.compress_type not in SUPPORTED_METHODS:
        findings.append(new_finding(
            "archive.compression_method",
            f"{entry.name} uses compression method {info.compress_type}; only stored (0) and deflated (8) "
            "are allowed.", file=entry.name))
    return len(findings) > before


def _without_duplicates(entries: list[_Entry], findings: list[Finding]) -> list[_Entry]:
    """Keep the first of each name; exact duplicates are errors, case-only ones warnings."""
    seen: dict[str, _Entry] = {}
    folded: dict[str, str] = {}
    for entry in entries:
        normal = unicodedata.normalize("NFC", entry.name)
        if normal in seen:
            findings.append(new_finding(
                "archive.duplicate_name", f"{entry.name} appears more than once.", file=entry.name))
            continue
        seen[normal] = entry
        other = folded.setdefault(normal.casefold(), entry.name)
        if other != entry.name:
            findings.append(new_finding(
                "archive.case_collision", f"{entry.name} and {other} differ only by case.", file=entry.name))
    return list(seen.values())


def _budget_findings(files: list[zipfile.ZipInfo], config: ScanConfig, archive_size: int) -> list[Finding]:
    """Declared sizes against the limits: this is where a zip bomb is refused without inflating it."""
    findings = []
    declared = sum(info.file_size for info in files)
    if declared > config.max_uncompressed_bytes:
        findings.append(new_finding(
            "archive.too_large",
            f"The members declare {declared:,} bytes uncompressed; the limit is "
            f"{config.max_uncompressed_bytes:,}."))
    for info in files:
        if _exceeds_ratio(info.file_size, info.compress_size, config):
            findings.append(new_finding(
                "archive.ratio",
                f"{info.filename} expands from {info.compress_size:,} to {info.file_size:,} bytes "
                f"(more than {config.max_ratio}:1).", file=info.filename))
    if not any(f.code == "archive.ratio" for f in findings) and _exceeds_ratio(declared, archive_size, config):
        findings.append(new_finding(
            "archive.ratio",
            f"The archive expands from {archive_size:,} to {declared:,} bytes (more than {config.max_ratio}:1)."))
    return findings


def _exceeds_ratio(expanded: int, compressed: int, config: ScanConfig) -> bool:
    return expanded >= config.ratio_min_bytes and expanded > config.max_ratio * max(compressed, 1)


def accepted_members(infos: list[zipfile.ZipInfo], config: ScanConfig, archive_size: int) -> dict[str, zipfile.ZipInfo]:
    """The members the scanner would inflate, by the name it gives them (the code viewer reads only these)."""
    entries, _findings = inspect_central_directory(infos, config, archive_size)
    return {entry.name: entry.info for entry in entries}


def _overlap_findings(infos: list[zipfile.ZipInfo]) -> list[Finding]:
    """Entries whose local data overlap (a conservative bound: the local extra field is not counted)."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for current, following in zip(ordered, ordered[1:]):
        end = current.header_offset + LOCAL_HEADER_BYTES + len(raw_name(current)) + current.compress_size
        if end > following.header_offset:
            return [new_finding(
                "archive.overlapping_entries",
                f"{following.filename} starts inside the data of {current.filename}.", file=following.filename)]
    return []
