"""Hand-written SQL for the few fixed reads made on (nearly) every request.

Django builds an ORM query anew on each call; for small reads it costs several times the CPU of
running them (the shell's group names, second factor and unread badge: five to eight times; the
stats dashboard's rollup reads and filter names: three to five). Only such hot, fixed reads are
written out; tables and columns are named through the models' `_meta` where the names are not plain.
"""

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
