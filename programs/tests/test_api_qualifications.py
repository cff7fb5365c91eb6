"""Qualification documents through the API: what is missing, upload, download; a submission waits for them."""

import pytest
from rest_framework.test import APIClient

from console.models import AuditEvent
from console.roles import Role, Scope
from console.services import api_key_create
from programs.models import QualificationDocument, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory, category, upload


@pytest.fixture
def program(org):
    program = MiniProgramFactory(organisation=org, description="Shop", privacy_policy_url="https://acme.test/privacy")
    program.categories.set([category("travel"), category("e-commerce")])
    return program


def _list(program):
    return f"/api/v1/programs/{program.appid}/qualifications/"


def _pdf(name="licence.pdf"):
    return upload(b"%PDF-1.4 licence", name, "application/pdf")


def test_a_submission_waits_for_the_document_the_api_can_now_upload(api_with_key, program, owner_key):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)
    submit = f"/api/v1/programs/{program.appid}/versions/1.0.0/submit/"
    assert api_with_key.get(_list(program)).json() == {"documents": [], "missing": ["e-commerce"]}
    refused = api_with_key.post(submit, {}, format="json")
    assert refused.status_code == 409 and "qualification" in refused.json()["error"]["message"]

    added = api_with_key.post(_list(program), {"category": "e-commerce", "file": _pdf()}, format="multipart")

    assert added.status_code == 201, added.content
    body = added.json()
    assert (body["category"], body["original_name"], body["uploaded_by"]) == ("e-commerce", "licence.pdf",
                                                                              "owner@acme.test")
    assert added["Location"] == body["download"]
    listed = api_with_key.get(_list(program)).json()
    assert (listed["missing"], [d["id"] for d in listed["documents"]]) == ([], [body["id"]])
    download = api_with_key.get(body["download"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 licence"
    assert owner_key[0].prefix in AuditEvent.objects.get(action="program.qualification_add").actor_label
    assert api_with_key.post(submit, {}, format="json").status_code == 200


@pytest.mark.parametrize("fields, field", [
    ({"category": "travel"}, "category"),  # one of the program's, but it needs no document
    ({"category": "finance"}, "category"),  # needs one, but is not the program's
    ({"category": "e-commerce", "file": upload(b"GIF89a...", "licence.gif", "image/gif")}, "file"),
    ({"category": "e-commerce"}, "file"),
])
def test_a_wrong_category_or_file_is_a_field_error_and_stores_nothing(api_with_key, program, fields, field):
    body = {"file": _pdf(), **fields} if "file" in fields or field != "file" else fields

    response = api_with_key.post(_list(program), body, format="multipart")

    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]
    assert not QualificationDocument.objects.exists()


def test_a_read_only_key_lists_and_downloads_but_cannot_upload(api, org, owner, program):
    document = QualificationDocument.objects.create(program=program, category=category("e-commerce"),
                                                    original_name="x.pdf", file="x.pdf")
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="read", scopes=[Scope.PROGRAMS_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get(_list(program)).status_code == 200
    assert api.post(_list(program), {"category": "e-commerce", "file": _pdf()}, format="multipart").status_code == 403
    assert QualificationDocument.objects.get().pk == document.pk


def test_an_outsider_and_their_key_get_404(outsider, other_org, program):
    document = QualificationDocument.objects.create(program=program, category=category("e-commerce"),
                                                    original_name="x.pdf", file="x.pdf")
    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x",
                            scopes=[Scope.PROGRAMS_READ, Scope.PROGRAMS_WRITE])
    session, keyed = APIClient(), APIClient()
    session.force_authenticate(outsider)
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    for client in (session, keyed):
        assert client.get(_list(program)).status_code == 404
        assert client.get(f"{_list(program)}{document.pk}/").status_code == 404
        assert client.post(_list(program), {"category": "e-commerce", "file": _pdf()},
                           format="multipart").status_code == 404
    assert QualificationDocument.objects.count() == 1


def test_another_programs_document_is_404_here(api_with_key, org, program):
    other = MiniProgramFactory(organisation=org)
    document = QualificationDocument.objects.create(program=other, category=category("e-commerce"),
                                                    original_name="x.pdf", file="x.pdf")

    assert api_with_key.get(f"{_list(program)}{document.pk}/").status_code == 404


def test_a_document_over_10_mb_is_a_413_and_stores_nothing(api_with_key, program):
    response = api_with_key.post(_list(program), {"category": "e-commerce",
                                                  "file": upload(b"%PDF" + b"0" * (10 * 1024 * 1024), "big.pdf")},
                                 format="multipart")

    assert response.status_code == 413
    assert response.json()["error"]["message"] == "The document is larger than 10 MB."
    assert not QualificationDocument.objects.exists()


def test_a_document_is_deleted_with_its_file_but_not_while_a_version_is_in_review(api_with_key, program,
                                                                                   django_capture_on_commit_callbacks):
    body = api_with_key.post(_list(program), {"category": "e-commerce", "file": _pdf()}, format="multipart").json()
    document = QualificationDocument.objects.get(pk=body["id"])
    stored, storage = document.file.name, document.file.storage
    version = VersionFactory(program=program, version="1.0.0", status=Version.Status.IN_REVIEW)

    refused = api_with_key.delete(body["download"])

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "wrong_state"
    version.status = Version.Status.REJECTED
    version.save(update_fields=["status"])
    with django_capture_on_commit_callbacks(execute=True):
        assert api_with_key.delete(body["download"]).status_code == 204
    assert not QualificationDocument.objects.exists() and not storage.exists(stored)
    assert api_with_key.get(_list(program)).json()["missing"] == ["e-commerce"]
    assert AuditEvent.objects.filter(action="program.qualification_remove").count() == 1


def test_a_program_keeps_at_most_20_documents(api_with_key, program):
    from programs.services import QUALIFICATIONS_PER_PROGRAM

    for n in range(QUALIFICATIONS_PER_PROGRAM):
        QualificationDocument.objects.create(program=program, category=category("e-commerce"),
                                             original_name=f"{n}.pdf", file=f"{n}.pdf")

    response = api_with_key.post(_list(program), {"category": "e-commerce", "file": _pdf()}, format="multipart")

    assert response.status_code == 409 and response.json()["error"]["code"] == "limit_reached"
    assert QualificationDocument.objects.count() == QUALIFICATIONS_PER_PROGRAM


def test_a_download_is_named_with_the_extension_of_what_was_stored(api_with_key, program):
    body = api_with_key.post(_list(program), {"category": "e-commerce", "file": _pdf("licence.html")},
                             format="multipart").json()

    download = api_with_key.get(body["download"])

    assert download["Content-Disposition"] == 'attachment; filename="licence.pdf"'
