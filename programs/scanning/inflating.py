"""Inflating validated members: CRC-32, SHA-256 and real sizes, in batches on two threads.

`zlib`, `zlib.crc32` and `hashlib` release the GIL on large buffers, so two workers that each read
the archive through their own handle inflate and hash about twice as fast as one on a machine with
a free core. Members are grouped into batches (hand-offs cost more than small members), results are
taken in archive order, and the first member that fails stops the read, as it would sequentially.
A source that cannot be reopened (a caller's file object) is read on one thread.
"""

from __future__ import annotations

import hashlib
import os
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO, NamedTuple

from .codes import new_finding
from .config import ScanConfig
from .deadline import Deadline
from .findings import Finding
from .package import IMAGE_EXTENSIONS, TEXT_EXTENSIONS, Member, extension
from .zipreader import CHUNK_BYTES, member_chunks

WORKERS = min(2, os.cpu_count() or 1)
BATCH_BYTES = 1024 * 1024  # compressed bytes per batch
PARALLEL_MIN_BYTES = 4 * 1024 * 1024  # below this one thread is faster than two
PROGRESS_STEP = 0.01  # report reading progress once per percent, not once per member

ARCHIVE_EXTENSIONS = frozenset({
    ".zip", ".jar", ".apk", ".aar", ".ipa", ".war", ".xpi", ".crx", ".gz", ".tgz", ".bz2", ".xz", ".7z",
    ".rar", ".tar", ".zst", ".lz", ".lzma", ".cab", ".wgt",
})
ARCHIVE_MAGIC = (b"PK\x03\x04", b"\x1f\x8b\x08", b"7z\xbc\xaf\x27\x1c", b"Rar!\x1a\x07", b"\xfd7zXZ\x00",
                 b"\x28\xb5\x2f\xfd")
Reopen = Callable[[], BinaryIO] | None


class PositionalReader:
    """A read-only view of an open file with its own position (`os.pread`): threads share the file, not the offset.

    The same open file is read, never the path again, so what was validated is what is inflated.
    """

    def __init__(self, fd: int) -> None:
        self.fd, self.position = fd, 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence != os.SEEK_SET:
            raise ValueError("PositionalReader only seeks from the start")
        self.position = offset
        return offset

    def read(self, size: int) -> bytes:
        data = os.pread(self.fd, size, self.position)
        self.position += len(data)
        return data


class Inflated(NamedTuple):
    member: Member
    head: bytes  # the first bytes, for magic-number checks
    problem: Finding | None


def inflate_all(stream: BinaryIO, reopen: Reopen, entries: list, config: ScanConfig, deadline: Deadline,
                on_progress: Callable[[float], None], read_errors: tuple[type[BaseException], ...],
                on_member: Callable[[Member], None] | None = None) -> tuple[dict[str, Member], list[Finding], bool]:
    """Inflate `entries` (name + ZipInfo) in order; stop at the first member that fails.

    `on_member` sees each good member, in order, on this thread, while the workers inflate the next ones.
    """
    members: dict[str, Member] = {}
    findings: list[Finding] = []
    total, done, reported = sum(entry.info.file_size for entry in entries) or 1, 0, 0.0
    for inflated in _results(stream, reopen, entries, config, deadline, read_errors):
        member = inflated.member
        if inflated.problem is not None:
            return members, findings + [inflated.problem], True
        members[member.name] = member
        findings += _member_findings(member, inflated.head, config)
        if on_member is not None:
            on_member(member)
            deadline.check()
        done += member.size
        if done / total - reported >= PROGRESS_STEP:
            reported = done / total
            on_progress(reported)
    return members, findings, False


def _results(stream: BinaryIO, reopen: Reopen, entries: list, config: ScanConfig, deadline: Deadline,
             read_errors: tuple) -> Iterator[Inflated]:
    total = sum(entry.info.compress_size for entry in entries)
    if reopen is None or WORKERS < 2 or total < PARALLEL_MIN_BYTES:
        for entry in entries:
            yield inflate(stream, entry, config, deadline, read_errors)
        return
    local = threading.local()  # each worker reads through its own handle: no shared file position

    def run(batch: list) -> list[Inflated]:
        if not hasattr(local, "handle"):
            local.handle = reopen()
        results = []
        for entry in batch:
            results.append(inflate(local.handle, entry, config, deadline, read_errors))
            if results[-1].problem is not None:
                break
        return results

    with ThreadPoolExecutor(WORKERS, thread_name_prefix="scan-inflate") as pool:
        futures = [pool.submit(run, batch) for batch in _batches(entries)]
        try:
            for future in futures:
                yield from future.result()
        finally:
            for future in futures:
                future.cancel()


def _batches(entries: list) -> Iterator[list]:
    batch, size = [], 0
    for entry in entries:
        batch.append(entry)
        size += entry.info.compress_size
        if size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def inflate(stream: BinaryIO, entry, config: ScanConfig, deadline: Deadline, read_errors: tuple) -> Inflated:
    """Stream one member through CRC-32 and SHA-256, counting real bytes; keep its data if a check needs it."""
    info = entry.info
    member = Member(entry.name, info.file_size, info.compress_size)
    keep = inspected(entry.name, info.file_size, config)
    digest, parts, head, real, crc = hashlib.sha256(), [], b"", 0, 0
    try:
        # A member the checks keep is inflated in one piece (its declared size passed the limits).
        for chunk in member_chunks(stream, info, info.file_size + 1 if keep else CHUNK_BYTES):
            real += len(chunk)
            if real > info.file_size:
                return Inflated(member, head, _size_mismatch(entry.name, info.file_size, "more than"))
            crc = zlib.crc32(chunk, crc)
            digest.update(chunk)
            head = head or chunk[:16]
            if keep:
                parts.append(chunk)
            deadline.check()
    except read_errors as error:
        return Inflated(member, head, new_finding(
            "archive.corrupt", f"{entry.name} cannot be read: {error}.", file=entry.name))
    if real != info.file_size:
        return Inflated(member, head, _size_mismatch(entry.name, info.file_size, f"only {real:,} bytes instead of"))
    if crc != info.CRC:
        return Inflated(member, head, new_finding(
            "archive.corrupt", f"{entry.name} fails its CRC check.", file=entry.name))
    member.sha256 = digest.hexdigest()
    member.data = b"".join(parts) if keep else None
    return Inflated(member, head, None)


def _size_mismatch(name: str, declared: int, how: str) -> Finding:
    return new_finding(
        "archive.size_mismatch", f"{name} inflates to {how} the {declared:,} bytes its header declares.", file=name)


def wanted(name: str) -> bool:
    kind = extension(name)
    return kind in TEXT_EXTENSIONS or kind in IMAGE_EXTENSIONS


def inspected(name: str, size: int, config: ScanConfig) -> bool:
    return wanted(name) and size <= config.max_member_bytes


def _member_findings(member: Member, head: bytes, config: ScanConfig) -> list[Finding]:
    """Nested archives (by extension or magic bytes) and content too large to inspect."""
    name, kind, findings = member.name, extension(member.name), []
    if kind in ARCHIVE_EXTENSIONS or head.startswith(ARCHIVE_MAGIC):
        findings.append(new_finding("archive.nested_archive", f"{name} is an archive inside the package.", file=name))
    if (kind in TEXT_EXTENSIONS or kind in IMAGE_EXTENSIONS) and member.size > config.max_member_bytes:
        findings.append(new_finding(
            "scan.member_skipped",
            f"{name} ({member.size:,} bytes) is larger than the inspection limit of {config.max_member_bytes:,} "
            "bytes; its content was not checked.", file=name))
    return findings
