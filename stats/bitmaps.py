"""Sets of users as bitmaps over per-program ordinals: bit n is the user numbered n.

A bitmap is stored as little-endian bytes; unions and intersections are Python integers, so the
cost of a 30-day unique count is 30 bitmaps of (users / 8) bytes, whatever the number of events.
"""

from collections.abc import Iterable


def with_bits(existing: bytes, ordinals: Iterable[int]) -> tuple[bytes, int]:
    """`existing` with `ordinals` set; returns the new bytes and how many bits are set."""
    ordinals = list(ordinals)
    size = max(len(existing), (max(ordinals) >> 3) + 1 if ordinals else 0)
    bits = bytearray(existing)
    bits.extend(b"\0" * (size - len(bits)))
    for ordinal in ordinals:
        bits[ordinal >> 3] |= 1 << (ordinal & 7)
    return bytes(bits), count(bits)


def count(bits: bytes) -> int:
    return int.from_bytes(bits, "little").bit_count()


def as_int(bits: bytes) -> int:
    return int.from_bytes(bits, "little")


def union(bitmaps: Iterable[int]) -> int:
    """The union of bitmaps already read as integers (`as_int`)."""
    result = 0
    for value in bitmaps:
        result |= value
    return result
