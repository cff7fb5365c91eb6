"""Hand-written SQL for the few fixed reads the shell makes on every signed-in request.

Django builds an ORM query anew on each call; for these tiny reads (the user's group names, whether
they have a second factor, the unread badge) building it costs five to eight times the CPU of running
it. Tables and columns are named through the models' `_meta`, so they follow the models.
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
