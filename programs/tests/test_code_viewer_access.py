"""Who may read a version's files: members of the program's organisation (any role, the viewer role too) and
reviewers for submitted versions, through one rule; outsiders get 404 on every viewer URL, pages and API."""

import pytest
from django.urls import reverse

from console.roles import Role, Scope
from console.services import api_key_create
from programs.tests.codeview import program_with_release
from programs.tests.factories import VersionFactory
from reviews.tests.conftest import make_reviewer


@pytest.fixture
def versions(org):
    return program_with_release(org)


@pytest.fixture
def reviewer(db):
    return make_reviewer("riley@platform.test", "Riley Reviewer")


def org_urls(org, program, version="1.1.0"):
    args = [org.slug, program.appid, version]
    return [reverse("version_code", args=args) + "?path=app.js", reverse("version_code_changes", args=args),
            reverse("version_code_raw", args=args) + "?path=app.js", reverse("version_code_search", args=args) + "?q=my."]


def review_urls(version):
    return [reverse("review_code", args=[version.pk]) + "?path=app.js",
            reverse("review_code_changes", args=[version.pk]),
            reverse("review_code_raw", args=[version.pk]) + "?path=app.js",
            reverse("review_code_search", args=[version.pk]) + "?q=my."]


def api_urls(program, version="1.1.0"):
    args = [program.appid, version]
    return [reverse("api_code_files", args=args), reverse("api_code_content", args=args) + "?path=app.js"]


def every_url(org, program, review):
    return org_urls(org, program) + review_urls(review) + api_urls(program)


def test_outsider_gets_404_on_every_viewer_url(client_for, outsider, org, versions):
    program, _released, review = versions
    client = client_for(outsider)

    statuses = {url: client.get(url).status_code for url in every_url(org, program, review)}

    assert set(statuses.values()) == {404}, statuses


def test_outsider_post_is_404_too(client_for, outsider, org, versions):
    program, _released, review = versions
    client = client_for(outsider)

    assert {client.post(url).status_code for url in org_urls(org, program) + review_urls(review)} == {404}


def test_a_viewer_of_the_organisation_may_read_on_both_sides(client_for, viewer, org, versions):
    """The review side's links lead a member who is no reviewer to the same page on the organisation's side
    (its breadcrumbs led to the review page, a 403 for them)."""
    program, _released, review = versions
    client = client_for(viewer)

    statuses = {url: client.get(url, follow=True).status_code for url in every_url(org, program, review)}
    sent = [client.get(url)["Location"] for url in review_urls(review)]

    assert set(statuses.values()) == {200}, statuses
    assert sent == org_urls(org, program, review.version)


def test_a_reviewer_reads_a_submitted_version_through_the_review_side_and_the_api(client_for, reviewer, versions):
    program, released, review = versions
    client = client_for(reviewer)

    statuses = {url: client.get(url).status_code for url in review_urls(review) + review_urls(released)
                + api_urls(program)}

    assert set(statuses.values()) == {200}, statuses


def test_a_reviewer_gets_404_for_a_version_never_submitted(client_for, reviewer, org, versions):
    program, _released, _review = versions
    draft = VersionFactory(program=program, version="2.0.0", scan_report=_review.scan_report,
                           package=_review.package, package_sha256="d" * 64)
    client = client_for(reviewer)

    statuses = {url: client.get(url).status_code for url in review_urls(draft) + api_urls(program, "2.0.0")}

    assert set(statuses.values()) == {404}, statuses


def test_a_reviewer_gets_404_on_the_organisations_own_pages(client_for, reviewer, org, versions):
    program, _released, _review = versions
    client = client_for(reviewer)

    assert {client.get(url).status_code for url in org_urls(org, program)} == {404}


def test_anonymous_visitors_are_sent_to_sign_in_and_the_api_answers_401(client, org, versions):
    program, _released, review = versions

    pages = [client.get(url) for url in org_urls(org, program) + review_urls(review)]

    assert {response.status_code for response in pages} == {302}
    assert all(response.url.startswith(reverse("login")) for response in pages)
    assert {client.get(url).status_code for url in api_urls(program)} == {401}


def test_an_api_key_reaches_only_its_own_organisation(api, outsider, other_org, owner, org, versions):
    program, _released, _review = versions
    _key, foreign = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x",
                                   scopes=[Scope.PROGRAMS_READ])
    _key, own = api_key_create(org=org, user=owner, role=Role.OWNER, name="y", scopes=[Scope.PROGRAMS_READ])

    foreign_statuses = {api.get(url, HTTP_AUTHORIZATION=f"Bearer {foreign}").status_code for url in api_urls(program)}
    own_statuses = {api.get(url, HTTP_AUTHORIZATION=f"Bearer {own}").status_code for url in api_urls(program)}

    assert (foreign_statuses, own_statuses) == ({404}, {200})


def test_an_api_key_without_programs_read_is_refused(api, owner, org, versions):
    program, _released, _review = versions
    _key, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="z", scopes=[Scope.STATS_READ])

    response = api.get(api_urls(program)[0], HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_a_deleted_program_is_404_for_its_members(client_for, owner, org, versions):
    program, _released, review = versions
    program.deleted_at = review.created_at
    program.save()

    assert {client_for(owner).get(url).status_code for url in review_urls(review)} == {404}


def test_the_api_lists_files_with_their_changes_and_serves_one_files_rows(client_for, viewer, org, versions):
    program, _released, _review = versions
    client = client_for(viewer)

    listing = client.get(api_urls(program)[0]).json()
    files = {f["path"]: (f["change"], f["findings"]) for f in listing["files"]}
    content = client.get(next(f["content_url"] for f in listing["files"] if f["path"] == "app.js")).json()

    assert (listing["version"], listing["released_version"], listing["removed"]) == ("1.1.0", "1.0.0", [])
    assert (files["app.js"], files["utils/nearby.js"], files["utils/format.js"]) == (
        ("changed", 1), ("added", 1), ("", 0))  # utils/nearby.js: privacy.not_in_declaration
    assert (content["kind"], content["lines"], content["pages"], len(content["rows"])) == ("text", 20, 1, 20)
    assert "require" in content["rows"][18]["html"] and content["findings"][0]["line"] == 19


def test_the_api_answers_404_in_the_error_shape_for_a_file_not_in_the_package(client_for, viewer, versions):
    program, _released, _review = versions

    response = client_for(viewer).get(api_urls(program)[1].replace("app.js", "nope.js"))

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
