"""Hand-written SQL for the few fixed reads made on (nearly) every request, and reads sent together.

Django builds an ORM query anew on each call; for small reads it costs several times the CPU of
running them (the shell's group names, second factor and unread badge: five to eight times; the
stats dashboard's rollup reads and filter names: three to five). Only such hot, fixed reads are
written out; tables and columns are named through the models' `_meta` where the names are not plain.
"""

import time

from django.db import connections, router
from django.db.models import Model


def table(model: type[Model]) -> str:
    return connections[router.db_for_read(model)].ops.quote_name(model._meta.db_table)


def column(model: type[Model], field: str) -> str:
    return connections[router.db_for_read(model)].ops.quote_name(model._meta.get_field(field).column)


def fetch(model: type[Model], sql: str, params: list) -> list[tuple]:
    """The rows of `sql` on the database that `model` is read from."""
    with connections[router.db_for_read(model)].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_together(model: type[Model], statements: list[tuple[str, list]]) -> list[list[tuple]]:
    """The rows of each statement, on the database that `model` is read from.

    On PostgreSQL the statements go out together in one pipeline, so they cost one round trip, not one
    each, and rows come back in binary (bytea as bytes, not as hex text twice as long).
    """
    connection = connections[router.db_for_read(model)]
    if connection.vendor != "postgresql":
        return [fetch(model, text, params) for text, params in statements]
    import psycopg  # only on PostgreSQL

    connection.ensure_connection()
    started = time.monotonic()
    # Django's own cursors bind on the client, which psycopg allows in text only.
    with connection.wrap_database_errors, connection.connection.pipeline():
        cursors = [psycopg.Cursor(connection.connection) for _ in statements]
        try:
            for cursor, (text, params) in zip(cursors, statements, strict=True):
                cursor.execute(text, params, binary=True)
            results = [cursor.fetchall() for cursor in cursors]
        finally:
            for cursor in cursors:
                cursor.close()
    if connection.queries_logged:  # as Django's cursors log (DEBUG, and tests that count queries)
        spent = f"{(time.monotonic() - started) / len(statements):.3f}"
        connection.queries_log.extend({"sql": f"{text} {params!r}", "time": spent} for text, params in statements)
    return results
