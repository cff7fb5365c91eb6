"""Data migrations of programs: name keys for existing programs (0006), files moved to private storage (0007).

Each test runs a migration's data step on rows of the schema it leaves, as the migration does when it
meets existing data. The schema steps run whenever a test database is created. (These tests used to
migrate the whole project back to 0005 and forward again: 16 s each, for the same data step.)
"""

from importlib import import_module

import pytest
from django.apps import apps
from django.utils import timezone

pytestmark = pytest.mark.django_db


def _data_step(migration: str, function: str):
    return getattr(import_module(f"programs.migrations.{migration}"), function)


def test_existing_programs_get_their_keys_and_old_look_alikes_stay_live(org):
    from programs.models import MiniProgram

    now = timezone.now()

    def before_0006(appid, name, created_at, deleted_at=None):
        # A row as 0006's AddField left it: the key not computed yet (distinct here, since the constraint that
        # 0006 adds after the data step is in place already).
        # bulk_create: save() would compute the key.
        [program] = MiniProgram.objects.bulk_create([MiniProgram(
            organisation=org, appid=appid, name=name, name_key=f"not computed {appid}", created_at=created_at,
            deleted_at=deleted_at)])
        return program

    first = before_0006("2026000000000001", "City Bikes", now)
    twin = before_0006("2026000000000002", "\u0421ity Bikes", now + timezone.timedelta(seconds=1))
    gone = before_0006("2026000000000003", "CITY BIKES", now, deleted_at=now)

    _data_step("0006_name_key", "compute_name_keys")(apps, None)

    keys = dict(MiniProgram.objects.values_list("pk", "name_key"))
    assert keys[first.pk] == "city bikes"
    assert keys[twin.pk] == f"city bikes#{twin.pk}"
    assert keys[gone.pk] == "clty blkes"


def test_existing_packages_and_documents_move_out_of_the_public_media_folder(org, settings):
    from pathlib import Path

    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from programs.models import MiniProgram, Version

    program = MiniProgram.objects.create(organisation=org, appid="2026000000000009", name="Old Files")
    name = storages["default"].save("packages/2026000000000009/abc.zip", ContentFile(b"old package"))
    Version.objects.bulk_create([Version(program=program, version="1.0.0", sort_key=[1, 0, 0, 0, 1], package=name,
                                         package_sha256="abc", package_size=11)])
    assert (Path(settings.MEDIA_ROOT) / name).exists()

    _data_step("0007_private_files", "move_to_private_storage")(apps, None)

    assert (Path(settings.PRIVATE_MEDIA_ROOT) / name).read_bytes() == b"old package"
    assert not (Path(settings.MEDIA_ROOT) / name).exists()
