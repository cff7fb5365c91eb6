"""Double clicks on upload: the same package sent twice at the same moment, with real concurrent transactions.

Before the fix the second request, reading the first one's freshly committed version, answered
400 "The version must be higher than 1.0.0" in most rounds instead of 200 with the existing version.
Needs PostgreSQL: SQLite serialises every write transaction anyway.
"""

import hashlib

import pytest
from django.core.files.uploadedfile import TemporaryUploadedFile

from programs.models import MiniProgram, Version
from programs.services import UploadResult, version_upload
from programs.tests.concurrency import postgresql_only, race_with  # noqa: F401 (fixture)
from programs.tests.factories import MiniProgramFactory, zipped
from programs.uploads import HashedUploadedFile

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True), pytest.mark.usefixtures("postgresql_only")]
ROUNDS = 6


def _package(data: bytes) -> HashedUploadedFile:
    """A zip of `data` (the upload refuses what is no zip): packages that differ in `data` differ."""
    data = zipped(data)
    temp = TemporaryUploadedFile("app.zip", "application/zip", len(data), None)
    temp.write(data)
    temp.seek(0)
    return HashedUploadedFile(temp.file, "app.zip", "application/zip", len(data), None, hashlib.sha256(data).hexdigest())


def _upload_as(user, version: str, data: bytes):
    def prepare(program_id=None):
        return MiniProgram.objects.select_related("organisation").get(pk=program_id), _package(data)

    def action(prepared):
        program, package = prepared
        return version_upload(program=program, actor=user, version=version, description="", package=package,
                              method=Version.UploadMethod.API)

    return prepare, action


def _stored_files(program) -> list[str]:
    storage = Version._meta.get_field("package").storage
    folder = f"packages/{program.appid}"
    return storage.listdir(folder)[1] if storage.exists(folder) else []


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_the_same_package_uploaded_twice_at_once_answers_the_existing_version(org, owner, member, round_):
    program = MiniProgramFactory(organisation=org)
    data = f"package bytes {round_}".encode()
    calls = []
    for user in (owner, member):
        prepare, action = _upload_as(user, "1.0.0", data)
        calls.append((lambda prepare=prepare: prepare(program.pk), action))

    results = race_with(*calls)

    assert all(isinstance(r, UploadResult) for r in results), results
    assert sorted(r.created for r in results) == [False, True]
    assert results[0].version.pk == results[1].version.pk
    assert list(program.versions.values_list("version", flat=True)) == ["1.0.0"]
    # One file in storage, the one the version points at: the loser deleted its copy.
    assert [f"packages/{program.appid}/{name}" for name in _stored_files(program)] == [results[0].version.package.name]


def test_two_different_packages_with_versions_racing_keep_the_order(org, owner, member):
    """1.0.1 and 1.0.2 at once: whichever commits second must still be higher than the first."""
    program = MiniProgramFactory(organisation=org)
    calls = []
    for user, version in ((owner, "1.0.2"), (member, "1.0.1")):
        prepare, action = _upload_as(user, version, f"bytes of {version}".encode())
        calls.append((lambda prepare=prepare: prepare(program.pk), action))

    results = race_with(*calls)

    created = [r for r in results if isinstance(r, UploadResult)]
    assert len(created) in (1, 2), results
    stored = list(program.versions.order_by("pk").values_list("sort_key", flat=True))
    assert stored == sorted(stored)
    assert len(_stored_files(program)) == len(created)
