"""The data migration that gives existing programs their name key (programs 0006)."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
BEFORE = [("programs", "0005_withdrawal_survives_pruning")]
AFTER = [("programs", "0006_name_key")]


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def test_existing_programs_get_their_keys_and_old_look_alikes_stay_live(org):
    old_apps = _migrate(BEFORE)
    Program = old_apps.get_model("programs", "MiniProgram")
    now = timezone.now()
    first = Program.objects.create(organisation_id=org.pk, appid="2026000000000001", name="City Bikes", created_at=now)
    twin = Program.objects.create(organisation_id=org.pk, appid="2026000000000002", name="\u0421ity Bikes",
                                  created_at=now + timezone.timedelta(seconds=1))
    gone = Program.objects.create(organisation_id=org.pk, appid="2026000000000003", name="CITY BIKES",
                                  created_at=now, deleted_at=now)
    try:
        new_apps = _migrate(AFTER)
        keys = dict(new_apps.get_model("programs", "MiniProgram").objects.values_list("pk", "name_key"))
        assert keys[first.pk] == "city bikes"
        assert keys[twin.pk] == f"city bikes#{twin.pk}"
        assert keys[gone.pk] == "clty blkes"
    finally:
        _migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
