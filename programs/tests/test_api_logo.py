"""A program's logo through the API: a good image replaces it; a bad one is a field error that changes nothing."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from console.models import AuditEvent
from console.roles import Role, Scope
from console.services import api_key_create
from programs.tests.factories import MiniProgramFactory, image_bytes, png_bomb


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="Acme Maps")


def _put(client, program, data: bytes, name="logo.png"):
    return client.put(f"/api/v1/programs/{program.appid}/logo/", {"logo": SimpleUploadedFile(name, data)},
                      format="multipart")


def test_a_square_png_becomes_the_logo(api_with_key, program, owner_key):
    response = _put(api_with_key, program, image_bytes((400, 400)))

    assert response.status_code == 200, response.content
    program.refresh_from_db()
    assert program.logo.name.startswith(f"logos/{program.appid}/logo-")
    assert response.json()["logo"] == f"http://testserver{program.logo.url}"
    assert owner_key[0].prefix in AuditEvent.objects.get(action="program.logo").actor_label


@pytest.mark.parametrize("data, message", [
    (image_bytes((300, 200)), "must be square"),
    (b"GIF89a" + b"\x00" * 100, "not a readable PNG or JPEG"),
    (png_bomb(), "decompression bomb"),
])
def test_a_bad_image_is_a_logo_field_error_and_changes_nothing(api_with_key, program, data, message):
    response = _put(api_with_key, program, data)

    assert response.status_code == 400, response.content
    assert message in " ".join(response.json()["error"]["fields"]["logo"])
    program.refresh_from_db()
    assert not program.logo
    assert not AuditEvent.objects.filter(action="program.logo").exists()


def test_no_file_is_a_field_error(api_with_key, program):
    response = api_with_key.put(f"/api/v1/programs/{program.appid}/logo/", {}, format="multipart")

    assert response.status_code == 400
    assert "logo" in response.json()["error"]["fields"]


def test_json_is_refused_with_415_naming_multipart(api_with_key, program):
    response = api_with_key.put(f"/api/v1/programs/{program.appid}/logo/", {"logo": "x"}, format="json")

    assert response.status_code == 415
    assert "multipart/form-data" in response.json()["error"]["message"]


def test_a_read_only_key_gets_403(api, org, owner, program):
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="read", scopes=[Scope.PROGRAMS_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert _put(api, program, image_bytes((400, 400))).status_code == 403
    program.refresh_from_db()
    assert not program.logo


def test_an_outsider_and_their_key_get_404(outsider, other_org, program):
    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x", scopes=[Scope.PROGRAMS_WRITE])
    session = APIClient()
    session.force_authenticate(outsider)
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for client in (session, keyed):
        assert _put(client, program, image_bytes((400, 400))).status_code == 404
    program.refresh_from_db()
    assert not program.logo


def test_a_file_over_5_mb_stops_at_the_cap_and_is_a_413(api_with_key, program, monkeypatch):
    """A 1 GB logo was read whole to disk before the service said "larger than 5 MB"; the upload now stops at the
    cap (programs/uploads.py), as a package's does."""
    from programs import uploads

    received = []
    original = uploads.HashingFileUploadHandler.receive_data_chunk

    def counting(handler, raw_data, start):
        received.append(len(raw_data))
        return original(handler, raw_data, start)

    monkeypatch.setattr(uploads.HashingFileUploadHandler, "receive_data_chunk", counting)

    response = _put(api_with_key, program, b"\x89PNG" + b"\x00" * (8 * 1024 * 1024))

    assert response.status_code == 413
    assert response.json()["error"]["message"] == "The logo file is larger than 5 MB."
    assert sum(received) <= 5 * 1024 * 1024 + uploads.HashingFileUploadHandler.chunk_size
    program.refresh_from_db()
    assert not program.logo


def test_a_replaced_logos_files_are_deleted(api_with_key, program, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _put(api_with_key, program, image_bytes((400, 400)))
    program.refresh_from_db()
    old = [(program.logo.storage, program.logo.name), (program.logo_small.storage, program.logo_small.name)]

    with django_capture_on_commit_callbacks(execute=True):
        assert _put(api_with_key, program, image_bytes((300, 300))).status_code == 200

    program.refresh_from_db()
    assert program.logo.storage.exists(program.logo.name)
    assert not any(storage.exists(name) for storage, name in old if name not in (program.logo.name,
                                                                                 program.logo_small.name))
