"""Reading one zip member's bytes straight from the archive, in bounded chunks.

`zipfile.ZipExtFile` stops at the size the header declares and then fails the CRC, which hides a
header that lies about the size. Reading the member ourselves lets the caller count the real bytes,
stop one byte past the declared size and name the problem; the central directory (already
validated) gives the offset, method and compressed size, and the local header must agree with it.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

CHUNK_BYTES = 256 * 1024  # uncompressed bytes per chunk, unless the caller asks for more
READ_BYTES = 1024 * 1024  # compressed bytes per read: most members are one read
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
LOCAL_SIGNATURE = b"PK\x03\x04"
RAW_DEFLATE = -15


class MemberError(zipfile.BadZipFile):
    """The member's local header or compressed data is inconsistent or truncated."""


def raw_name(info: zipfile.ZipInfo) -> bytes:
    """The name bytes as stored (zipfile decoded them as UTF-8 when flagged, else as cp437)."""
    name = info.orig_filename
    if name.isascii():
        return name.encode("ascii")  # the same bytes in both encodings; cp437 is a slow pure-Python codec
    return name.encode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="surrogateescape")


def member_chunks(stream: BinaryIO, info: zipfile.ZipInfo, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The member's uncompressed bytes, at most `chunk_bytes` at a time, however large the member claims to be.

    Inflating stops one byte past the declared size: that byte proves the header lies, and a member
    that inflates far beyond its header costs no more than an honest one. A caller that keeps the
    member whole passes a `chunk_bytes` above its declared size and gets it in one piece (one zlib
    call instead of a chunk loop: the scan keeps most members whole).
    """
    compressed = _compressed_chunks(stream, info)
    if info.compress_type == zipfile.ZIP_STORED:
        yield from compressed
        return
    inflater, budget = zlib.decompressobj(RAW_DEFLATE), info.file_size + 1
    for data in compressed:
        while data:
            output = inflater.decompress(data, min(chunk_bytes, budget))
            if output:
                budget -= len(output)
                yield output
                if budget <= 0:
                    return  # one byte past the declared size: the caller names the lie
            if inflater.eof:
                return
            data = inflater.unconsumed_tail
    yield from _drain(inflater, min(chunk_bytes, budget))


def _drain(inflater, chunk_bytes: int) -> Iterator[bytes]:
    """Output zlib still holds once the input is used up; a stream without its end is truncated."""
    while not inflater.eof:
        output = inflater.decompress(b"", chunk_bytes)
        if not output:
            raise MemberError("the compressed data ends before the end of its stream")
        yield output


def _compressed_chunks(stream: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    stream.seek(_data_offset(stream, info))
    remaining = info.compress_size
    while remaining > 0:
        data = stream.read(min(READ_BYTES, remaining))
        if not data:
            raise MemberError("the archive ends inside this member's data")
        remaining -= len(data)
        yield data


def _data_offset(stream: BinaryIO, info: zipfile.ZipInfo) -> int:
    """Where the member's data starts; the header and the name are read in one call."""
    name = raw_name(info)
    stream.seek(info.header_offset)
    record = stream.read(LOCAL_HEADER.size + len(name))
    if len(record) < LOCAL_HEADER.size or not record.startswith(LOCAL_SIGNATURE):
        raise MemberError("its local header is missing")
    fields = LOCAL_HEADER.unpack_from(record)
    method, name_length, extra_length = fields[3], fields[9], fields[10]
    # Tools that trust the local header would see another file than tools that trust the directory.
    if name_length != len(name) or record[LOCAL_HEADER.size:] != name or method != info.compress_type:
        raise MemberError("its local header disagrees with the central directory")
    return info.header_offset + LOCAL_HEADER.size + name_length + extra_length
