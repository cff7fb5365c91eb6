"""Reading one zip member's bytes straight from the archive, in bounded chunks.

`zipfile.ZipExtFile` stops at the size the header declares and then fails the CRC, which hides a
header that lies about the size. Reading the member ourselves lets the caller count the real bytes,
stop one chunk past the declared size and name the problem; the central directory (already
validated) gives the offset, method and compressed size, and the local header must agree with it.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

CHUNK_BYTES = 256 * 1024
LOCAL_HEADER = struct.Struct("<4s5H3L2H")
LOCAL_SIGNATURE = b"PK\x03\x04"
RAW_DEFLATE = -15


class MemberError(zipfile.BadZipFile):
    """The member's local header or compressed data is inconsistent or truncated."""


def raw_name(info: zipfile.ZipInfo) -> bytes:
    """The name bytes as stored (zipfile decoded them as UTF-8 when flagged, else as cp437)."""
    return info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="surrogateescape")


def member_chunks(stream: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The member's uncompressed bytes, at most CHUNK_BYTES at a time, however large the member claims to be."""
    compressed = _compressed_chunks(stream, info)
    if info.compress_type == zipfile.ZIP_STORED:
        yield from compressed
        return
    inflater = zlib.decompressobj(RAW_DEFLATE)
    for data in compressed:
        while data:
            output = inflater.decompress(data, CHUNK_BYTES)
            if output:
                yield output
            if inflater.eof:
                return
            data = inflater.unconsumed_tail
    yield from _drain(inflater)


def _drain(inflater) -> Iterator[bytes]:
    """Output zlib still holds once the input is used up; a stream without its end is truncated."""
    while not inflater.eof:
        output = inflater.decompress(b"", CHUNK_BYTES)
        if not output:
            raise MemberError("the compressed data ends before the end of its stream")
        yield output


def _compressed_chunks(stream: BinaryIO, info: zipfile.ZipInfo) -> Iterator[bytes]:
    stream.seek(_data_offset(stream, info))
    remaining = info.compress_size
    while remaining > 0:
        data = stream.read(min(CHUNK_BYTES, remaining))
        if not data:
            raise MemberError("the archive ends inside this member's data")
        remaining -= len(data)
        yield data


def _data_offset(stream: BinaryIO, info: zipfile.ZipInfo) -> int:
    stream.seek(info.header_offset)
    header = stream.read(LOCAL_HEADER.size)
    if len(header) < LOCAL_HEADER.size or not header.startswith(LOCAL_SIGNATURE):
        raise MemberError("its local header is missing")
    fields = LOCAL_HEADER.unpack(header)
    method, name_length, extra_length = fields[3], fields[9], fields[10]
    name = stream.read(name_length)
    # Tools that trust the local header would see another file than tools that trust the directory.
    if name != raw_name(info) or method != info.compress_type:
        raise MemberError("its local header disagrees with the central directory")
    return info.header_offset + LOCAL_HEADER.size + name_length + extra_length
