"""Data migrations of programs: name keys for existing programs (0006), files moved to private storage (0007)."""

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
        _migrate(_leaf_nodes())


def test_existing_packages_and_documents_move_out_of_the_public_media_folder(org, settings):
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    old_apps = _migrate([("programs", "0006_name_key")])
    Program = old_apps.get_model("programs", "MiniProgram")
    Version = old_apps.get_model("programs", "Version")
    program = Program.objects.create(organisation_id=org.pk, appid="2026000000000009", name="Old Files")
    name = storages["default"].save("packages/2026000000000009/abc.zip", ContentFile(b"old package"))
    Version.objects.create(program=program, version="1.0.0", sort_key=[1, 0, 0, 0, 1], package=name,
                           package_sha256="abc", package_size=11)
    try:
        _migrate([("programs", "0007_private_files")])
        assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).read_bytes() == b"old package"
        assert not (Path(settings.MEDIA_ROOT) / name).exists()
    finally:
        _migrate(_leaf_nodes())


def _leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
