"""Packages are private: stored outside the public media folder, handed out by one authorised view.

The attack reproduced: on the embedded default a package sat at /media/packages/<appid>/<sha256>.zip,
served by DEBUG's media view to anyone with the URL, and the trial page printed the SHA-256 that
completes it.
"""

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.views.static import serve

from console.roles import Role, scopes_for_role
from console.services import api_key_create
from console.tests.factories import UserFactory
from programs import releases
from programs.models import QualificationDocument, TrialTester, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory, category
from reviews.tests.conftest import make_reviewer

pytestmark = pytest.mark.django_db
S = Version.Status
DATA = b"PK\x03\x04 the package bytes"


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="City Bikes")


@pytest.fixture
def version(program):
    return VersionFactory(program=program, version="1.2.0", status=S.READY, package_bytes=DATA)


def _url(version):
    return reverse("package_download", args=[version.program.appid, version.version])


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_package_is_stored_outside_the_public_media_folder(version, settings):
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / version.package.name

    assert stored.read_bytes() == DATA
    assert not (Path(settings.MEDIA_ROOT) / version.package.name).exists()


def test_the_old_public_media_url_finds_nothing(version, settings):
    """What DEBUG serves at /media/<path>: the package's path there is empty."""
    request = RequestFactory().get(f"/media/{version.package.name}")

    with pytest.raises(Http404):
        serve(request, version.package.name, document_root=settings.MEDIA_ROOT)


def test_private_files_have_no_url(version):
    with pytest.raises(ValueError):
        version.package.url  # noqa: B018 - the attribute access is what must fail


def test_member_downloads_the_package_as_an_attachment(client_for, member, version):
    response = client_for(member).get(_url(version))

    assert response.status_code == 200
    assert _body(response) == DATA
    assert response["Content-Disposition"] == f'attachment; filename="{version.program.appid}-1.2.0.zip"'
    assert response["Content-Type"] == "application/zip"
    assert "no-store" in response["Cache-Control"]


def test_outsider_gets_404(client_for, outsider, version):
    assert client_for(outsider).get(_url(version)).status_code == 404


def test_anonymous_visitor_is_sent_to_sign_in(client, version):
    url = _url(version)

    response = client.get(url)

    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


def test_reviewer_downloads_a_submitted_version(client_for, version):
    Version.objects.filter(pk=version.pk).update(status=S.IN_REVIEW, submitted_at=timezone.now())

    response = client_for(make_reviewer("rita@platform.test", "Rita")).get(_url(version))

    assert response.status_code == 200
    assert _body(response) == DATA


def test_reviewer_gets_404_for_a_version_never_submitted(client_for, version):
    assert client_for(make_reviewer("rita@platform.test", "Rita")).get(_url(version)).status_code == 404


def test_named_tester_downloads_the_trial_version_only(client_for, owner, program, version):
    other = VersionFactory(program=program, version="1.1.0", status=S.READY)
    releases.version_set_trial(version=version, actor=owner)
    tester = UserFactory(email="Tess@Example.com")
    TrialTester.objects.create(program=program, email="tess@example.com")
    client = client_for(tester)

    assert client.get(_url(version)).status_code == 200
    assert client.get(_url(other)).status_code == 404


def test_a_tester_address_not_yet_confirmed_gets_404(client_for, owner, program, version):
    """Signing up with a tester's address grants nothing until the address is confirmed (as for the trial page)."""
    releases.version_set_trial(version=version, actor=owner)
    TrialTester.objects.create(program=program, email="tess@example.com")
    impostor = UserFactory(email="tess@example.com", email_verified_at=None)

    assert client_for(impostor).get(_url(version)).status_code == 404


def test_a_stranger_gets_404_for_the_trial_version(client_for, owner, version):
    releases.version_set_trial(version=version, actor=owner)

    assert client_for(UserFactory(email="stranger@example.com")).get(_url(version)).status_code == 404


def test_the_trial_page_does_not_print_the_packages_hash(client_for, owner, program, version):
    releases.version_set_trial(version=version, actor=owner)
    TrialTester.objects.create(program=program, email="tess@example.com")

    html = client_for(UserFactory(email="tess@example.com")).get(
        reverse("trial_open", args=[program.appid])).content.decode()

    assert version.package_sha256[:12] not in html
    assert _url(version) in html


# ---------------------------------------------------------------- the API


def test_api_key_of_the_organisation_downloads_the_package(api_with_key, version):
    response = api_with_key.get(reverse("api_package", args=[version.program.appid, version.version]))

    assert response.status_code == 200
    assert _body(response) == DATA
    assert response["Content-Disposition"].startswith("attachment;")


def test_api_key_of_another_organisation_gets_404(api, outsider, other_org, version):
    _, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x",
                            scopes=scopes_for_role(Role.OWNER))

    response = api.get(reverse("api_package", args=[version.program.appid, version.version]),
                       HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_api_call_is_401(api, version):
    response = api.get(reverse("api_package", args=[version.program.appid, version.version]))

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# ---------------------------------------------------------------- S3: short-lived presigned URLs


@pytest.fixture
def s3_private_storage(settings):
    settings.STORAGES = {**settings.STORAGES, "private": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "console-test", "endpoint_url": "http://127.0.0.1:9", "region_name": "us-east-1",
                    "access_key": "AKIATEST", "secret_key": "secret", "location": "private",
                    "querystring_auth": True, "querystring_expire": settings.PRIVATE_FILE_URL_SECONDS,
                    "signature_version": "s3v4"},
    }}


def test_on_s3_a_member_is_redirected_to_a_presigned_url_that_expires(client_for, member, program,
                                                                      s3_private_storage, settings):
    sha = hashlib.sha256(DATA).hexdigest()
    version = Version.objects.create(  # the row only: presigning needs no request to the bucket
        program=program, version="2.0.0", sort_key=[2, 0, 0, 0, 1], package=f"packages/{program.appid}/{sha}.zip",
        package_sha256=sha, package_size=len(DATA))

    response = client_for(member).get(_url(version))

    assert response.status_code == 302
    target = urlsplit(response.url)
    query = parse_qs(target.query)
    assert target.path == f"/console-test/private/packages/{program.appid}/{sha}.zip"
    assert query["X-Amz-Expires"] == [str(settings.PRIVATE_FILE_URL_SECONDS)]
    assert query["response-content-disposition"] == [f'attachment; filename="{program.appid}-2.0.0.zip"']
    assert "X-Amz-Signature" in query


def test_on_s3_an_outsider_gets_no_url(client_for, outsider, program, s3_private_storage):
    version = Version.objects.create(program=program, version="2.0.0", sort_key=[2, 0, 0, 0, 1],
                                     package="packages/x/y.zip", package_sha256="y", package_size=1)

    assert client_for(outsider).get(_url(version)).status_code == 404


# ---------------------------------------------------------------- qualification documents


@pytest.fixture
def document(program, owner):
    finance = category("finance")
    doc = QualificationDocument(program=program, category=finance, uploaded_by=owner, original_name="licence.pdf")
    doc.file.save("licence.pdf", ContentFile(b"%PDF-1.4 licence"), save=True)
    return doc


def test_qualification_documents_are_private_and_served_to_members(client_for, member, org, program, document,
                                                                   settings):
    url = reverse("qualification_download", args=[org.slug, program.appid, document.pk])

    response = client_for(member).get(url)

    assert (Path(settings.PRIVATE_MEDIA_ROOT) / document.file.name).exists()
    assert not (Path(settings.MEDIA_ROOT) / document.file.name).exists()
    assert response.status_code == 200
    assert _body(response) == b"%PDF-1.4 licence"
    assert response["Content-Disposition"] == 'attachment; filename="licence.pdf"'


def test_outsider_gets_404_for_a_qualification_document(client_for, outsider, org, program, document):
    url = reverse("qualification_download", args=[org.slug, program.appid, document.pk])

    assert client_for(outsider).get(url).status_code == 404


def test_the_version_api_links_its_package(api_with_key, version):
    body = api_with_key.get(reverse("api_version_detail", args=[version.program.appid, version.version])).json()

    assert body["package_url"] == "http://testserver" + reverse("api_package", args=[version.program.appid, "1.2.0"])
    assert _body(api_with_key.get(body["package_url"])) == DATA


def test_the_review_page_links_the_package_for_the_reviewer(client_for):
    from reviews.tests.factories import WaitingVersionFactory

    waiting = WaitingVersionFactory()
    reviewer = make_reviewer("rita@platform.test", "Rita")

    html = client_for(reviewer).get(reverse("review_detail", args=[waiting.pk])).content.decode()
    download = client_for(reviewer).get(_url(waiting))

    assert f'href="{_url(waiting)}"' in html
    assert download.status_code == 200
