"""On PostgreSQL with LZ4, user-set bitmaps are compressed with LZ4 (migration stats/0006): faster to read."""

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.db import connection

from stats import bitmaps
from stats.models import UserSet

pytestmark = pytest.mark.skipif("connection.vendor != 'postgresql'")
migration = importlib.import_module("stats.migrations.0006_user_set_bits_lz4")


def _column_compression() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT attcompression FROM pg_attribute "
                       "WHERE attrelid = 'stats_userset'::regclass AND attname = 'bits'")
        return cursor.fetchone()[0]


@pytest.fixture
def lz4(db):
    with connection.schema_editor() as editor:
        if not migration._has_lz4(editor):
            pytest.skip("this PostgreSQL server was built without LZ4")


def test_the_column_compresses_with_lz4_and_the_reverse_restores_the_default(lz4):
    assert _column_compression() == "l"
    with connection.schema_editor() as editor:
        migration.compress_by_default(apps, editor)
    assert _column_compression() not in ("l", "p")  # no setting of its own: the server's default
    with connection.schema_editor() as editor:
        migration.compress_with_lz4(apps, editor)
    assert _column_compression() == "l"


def test_a_set_large_enough_to_compress_is_stored_with_lz4(lz4, program):
    bits, count = bitmaps.with_bits(b"", range(0, 400_000, 9))  # 50 KB: compressed, out of line
    UserSet.objects.create(program=program, host="", scene="", day=date(2026, 11, 1), kind=UserSet.Kind.ACTIVE,
                           bits=bits, count=count)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_column_compression(bits), bits FROM stats_userset WHERE program_id = %s", [program.pk])
        method, stored = cursor.fetchone()
    assert method == "lz4"
    assert bytes(stored) == bits and bitmaps.count(bytes(stored)) == count
