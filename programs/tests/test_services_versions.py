"""version_upload and version ordering (programs/services.py) below the API."""

import hashlib
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import TemporaryUploadedFile
from django.db import IntegrityError
from django.db.models import QuerySet
from django.utils import timezone

from console.models import Notification, Organisation
from programs import services
from programs.models import Version
from programs.notifications import notify_scan_finished
from programs.services import version_sort_key, version_upload
from programs.tests.factories import MiniProgramFactory, VersionFactory, scan_tasks, zipped
from programs.uploads import HashedUploadedFile

ORDERED = [
    "0.9", "0.9.1", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
    "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.2", "1.10", "2", "2.0.0.1", "10.0",
]


def test_versions_sort_like_semver_with_dotted_ints():
    shuffled = ORDERED[:]
    random.Random(7).shuffle(shuffled)
    assert sorted(shuffled, key=version_sort_key) == ORDERED


@pytest.mark.parametrize("short, full", [("1.2", "1.2.0"), ("1", "1.0.0.0"), ("3.0-rc", "3.0.0-rc")])
def test_missing_parts_count_as_zero(short, full):
    assert version_sort_key(short) == version_sort_key(full)


def _package(data: bytes, name: str = "package.zip") -> HashedUploadedFile:
    """What the streaming upload handler hands over: a temporary file that knows its SHA-256."""
    temp = TemporaryUploadedFile(name, "application/zip", len(data), None)
    temp.write(data)
    temp.seek(0)
    return HashedUploadedFile(temp.file, name, "application/zip", len(data), None, hashlib.sha256(data).hexdigest())


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="Acme Maps")


def _upload(program, actor, data: bytes, version: str = "1.0.0", **kwargs):
    """Upload a zip of `data`: packages that differ in `data` differ."""
    return version_upload(program=program, actor=actor, version=version, description="", package=_package(zipped(data)),
                          method=kwargs.pop("method", Version.UploadMethod.BROWSER), **kwargs)


def test_upload_stores_the_version_with_its_sort_key_and_queue_time(program, member):
    result = _upload(program, member, b"zip bytes", "1.2")
    version = Version.objects.get(pk=result.version.pk)
    assert result.created is True
    assert (version.version, version.sort_key, version.status) == ("1.2", [1, 2, 0, 0, 1], Version.Status.UPLOADED)
    assert (version.uploaded_by, version.upload_method, version.package_size) == (
        member, "browser", len(zipped(b"zip bytes")))
    assert version.scan_queued_at is not None
    with version.package.open("rb") as f:
        assert f.read() == zipped(b"zip bytes")


def test_upload_queues_the_scan_only_when_the_transaction_commits(program, member,
                                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _upload(program, member, b"zip bytes")
    assert len(scan_tasks(callbacks)) == 1
    assert Version.objects.get().status == Version.Status.UPLOADED


def test_an_identical_package_returns_the_existing_version_uncreated(program, member):
    first = _upload(program, member, b"same bytes", "1.0.0")
    again = _upload(program, member, b"same bytes", "5.0.0")
    assert (again.created, again.version.pk) == (False, first.version.pk)
    assert Version.objects.count() == 1


def test_a_failed_scan_of_the_same_string_is_replaced(program, member):
    failed = VersionFactory(program=program, version="1.0.0", status=Version.Status.SCAN_FAILED)
    result = _upload(program, member, b"fixed bytes", "1.0.0")
    assert result.created
    assert not Version.objects.filter(pk=failed.pk).exists()
    assert list(program.versions.values_list("version", "status")) == [("1.0.0", "uploaded")]


def _failed_and_notified(program, version: str = "1.0.0", **fields) -> Version:
    failed = VersionFactory(program=program, version=version, status=Version.Status.SCAN_FAILED, errors=2,
                            scan_finished_at=timezone.now(), **fields)
    notify_scan_finished(failed)
    return failed


def test_the_failure_notification_says_a_new_package_replaced_the_version(program, owner, member):
    """Its link now shows the new, clean package: it must not go on saying, unread, that 1.0.0 failed."""
    member.language = "zh-hans"
    member.save(update_fields=["language"])
    _failed_and_notified(program)
    _upload(program, member, b"fixed bytes", "1.0.0")
    english = Notification.objects.get(user=owner)
    assert english.is_read
    assert english.body == "2 errors, 0 warnings, 0 notices.\nA new package has since replaced this one as 1.0.0; " \
                           "the link shows the new one."
    chinese = Notification.objects.get(user=member)
    assert chinese.body == "2 个错误，0 个警告，0 个提示。\n此后已有新的代码包替换了它，版本号仍为 1.0.0；链接打开的是新的代码包。"
    assert chinese.texts["en"]["body"] == english.body


def test_only_the_replaced_versions_failure_notifications_get_the_note(program, owner, member):
    """Another version's notification is left alone, and the notification of an earlier failure of the same
    string, noted when that one was replaced, is not noted again when the next failure is replaced."""
    _failed_and_notified(program, "0.9.0")
    _failed_and_notified(program, "1.0.0")
    second = _upload(program, member, b"second try", "1.0.0").version
    Version.objects.filter(pk=second.pk).update(status=Version.Status.SCAN_FAILED, errors=1)
    notify_scan_finished(Version.objects.get(pk=second.pk))
    _upload(program, member, b"third try", "1.0.0")
    mine = Notification.objects.filter(user=owner).order_by("id")
    assert [(n.payload["version"], n.is_read, n.body.count("replaced")) for n in mine] == [
        ("0.9.0", False, 0), ("1.0.0", True, 1), ("1.0.0", True, 1)]


def test_the_failure_notification_is_found_after_the_organisation_changed_its_short_name(program, owner, member):
    """The links hold /orgs/<slug>/…, and staff may change a slug in the admin between the failure and the
    replacement; the notifications are found by the AppID and version of their payload."""
    _failed_and_notified(program)
    Organisation.objects.filter(pk=program.organisation_id).update(slug="renamed")
    program.refresh_from_db()
    _upload(program, member, b"fixed bytes", "1.0.0")
    assert Notification.objects.get(user=owner).is_read


def test_a_ready_version_of_the_same_string_is_not_replaced(program, member):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)
    with pytest.raises(ValidationError) as exc:
        _upload(program, member, b"other bytes", "1.0.0")
    assert list(exc.value.message_dict) == ["version"]


def test_the_same_package_racing_in_twice_returns_the_winner(program, member, monkeypatch):
    """The other request committed between our duplicate check and our insert."""
    data = b"racing bytes"
    winner = VersionFactory(program=program, version="1.0.0", package_bytes=zipped(data))
    real_first, calls = QuerySet.first, []

    def first_misses_once(queryset):
        calls.append(queryset.model)
        return None if len(calls) == 1 else real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", first_misses_once)
    result = _upload(program, member, data, "2.0.0")
    assert (result.created, result.version.pk) == (False, winner.pk)
    assert Version.objects.count() == 1


def test_the_same_version_string_racing_in_twice_is_a_field_error(program, member, monkeypatch):
    def lose_the_race(*args):
        raise IntegrityError("unique_version_per_program")

    monkeypatch.setattr(services, "_insert_version", lose_the_race)
    with pytest.raises(ValidationError) as exc:
        _upload(program, member, b"late bytes", "1.0.0")
    assert exc.value.message_dict == {"version": ["Version 1.0.0 already exists."]}
    assert not _stored_packages(), "the refused upload's file stays behind in storage"


def test_a_refused_upload_leaves_no_file_in_storage(program, member):
    VersionFactory(program=program, version="2.0.0", status=Version.Status.READY, package_bytes=b"two")
    stored_before = _stored_packages()
    with pytest.raises(ValidationError):
        _upload(program, member, b"lower bytes", "1.0.0")
    assert _stored_packages() == stored_before


def _stored_packages() -> list[str]:
    storage = Version._meta.get_field("package").storage
    found = []
    for folder in storage.listdir("packages")[0] if storage.exists("packages") else []:
        found += [f"packages/{folder}/{name}" for name in storage.listdir(f"packages/{folder}")[1]]
    return sorted(found)


def test_reading_the_hashed_upload_gives_back_the_bytes():
    package = _package(b"abc")
    assert (package.sha256, package.size, package.read()) == (hashlib.sha256(b"abc").hexdigest(), 3, b"abc")
