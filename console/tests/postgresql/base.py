"""PostgreSQL for the test suite: production's backend, except how a transactional test empties the database
and puts back what the migrations seeded (catalogs, permissions), about a second per test less.

- Django empties every table after a transactional test (browser, real worker, concurrency) with one TRUNCATE
  of all of them, which PostgreSQL pays for table by table, creating their files anew: about half a second,
  for tables that hold a few rows. Deleting the rows takes a few milliseconds; foreign keys are checked at
  the flush's commit, when every table is empty.
- `serialized_rollback` then saves the seeded rows one by one (some 350, 0.4 s); here each model's rows go
  in one INSERT, in the same order.

Named by console/settings_test.py for a PostgreSQL DATABASE_URL.
"""

from itertools import groupby

from django.core import serializers
from django.db.backends.postgresql import base, creation, operations
from django.db.transaction import atomic


class DatabaseOperations(operations.DatabaseOperations):
    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences:  # restarting sequences is TRUNCATE's (RESTART IDENTITY)
            return super().sql_flush(style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade)
        return ["SET CONSTRAINTS ALL DEFERRED;"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))};" for table in tables]


class DatabaseCreation(creation.DatabaseCreation):
    def deserialize_db_from_string(self, data):
        alias = self.connection.alias
        with atomic(using=alias):
            loaded = list(serializers.deserialize("json", data, using=alias))
            for model, rows in groupby(loaded, key=lambda row: type(row.object)):
                rows = list(rows)
                # The rows may be there already (the first transactional test after the rolled-back ones).
                model._base_manager.using(alias).bulk_create([row.object for row in rows], ignore_conflicts=True)
                for row in rows:
                    for accessor, related in row.m2m_data.items():
                        getattr(row.object, accessor).set(related)
            self.connection.check_constraints(table_names={row.object._meta.db_table for row in loaded})


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    creation_class = DatabaseCreation
