"""User-set bitmaps compressed with LZ4 rather than PostgreSQL's default pglz (where the server has LZ4).

A dashboard or stats answer reads a few hundred bitmaps, and inflating pglz was most of that read's
time on the server. Measured on bench/dashboard.py's databases, reading the 540 sets of a 30-day
dashboard: 10.7-14 ms with pglz against 8.1-9.7 ms with LZ4 at 10M events (dense 6 KB sets), and
4.0-4.8 ms against 3.0-3.2 ms at 100k (sparse 4 KB sets). Storing them uncompressed reads faster
still at 10M, but sparse sets then take eight times the space.

Only the column's setting changes: sets already stored keep pglz until they are next written (each
drain rewrites the sets it touches). `UPDATE stats_userset SET bits = bits || ''::bytea` converts
the rest at once, when the table is quiet.
"""

from django.db import migrations


def _column(apps, schema_editor) -> tuple[str, str]:
    user_set = apps.get_model("stats", "UserSet")
    quote = schema_editor.connection.ops.quote_name
    return quote(user_set._meta.db_table), quote(user_set._meta.get_field("bits").column)


def _has_lz4(schema_editor) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        row = cursor.fetchone()
    return bool(row and row[0])


def compress_with_lz4(apps, schema_editor):
    if _has_lz4(schema_editor):
        table, column = _column(apps, schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")


def compress_by_default(apps, schema_editor):
    if _has_lz4(schema_editor):
        table, column = _column(apps, schema_editor)
        schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION DEFAULT")


class Migration(migrations.Migration):

    dependencies = [
        ("stats", "0005_chain_largest_first_index"),
    ]

    operations = [
        migrations.RunPython(compress_with_lz4, compress_by_default, elidable=False),
    ]
