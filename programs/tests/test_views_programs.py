"""Portal pages for programs: list, create, detail, edit, logo, qualification documents; access rules."""

import pytest
from django.urls import reverse

from console.models import Membership
from console.roles import Role
from console.services import organisation_create
from programs.models import MiniProgram, QualificationDocument, Version
from programs.services import program_create
from programs.tests.factories import MiniProgramFactory, VersionFactory, category, image_bytes, png_bomb, upload


@pytest.fixture
def program(org, owner):
    return program_create(
        org=org, actor=owner, name="City Bikes", categories=[category("travel"), category("e-commerce")],
        slogan="Ride across town", domains={"request": ["https://api.citybikes.example.com"]},
    )


@pytest.fixture
def version(program):
    return VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)


def page_urls(org, program, version):
    """Every program page as (name, url, method)."""
    slug, appid = org.slug, program.appid
    return {
        "program_list": (reverse("program_list", args=[slug]), "get"),
        "program_create": (reverse("program_create", args=[slug]), "get"),
        "program_detail": (reverse("program_detail", args=[slug, appid]), "get"),
        "program_edit": (reverse("program_edit", args=[slug, appid]), "get"),
        "program_logo": (reverse("program_logo", args=[slug, appid]), "post"),
        "program_qualification": (reverse("program_qualification", args=[slug, appid]), "post"),
        "version_upload_page": (reverse("version_upload_page", args=[slug, appid]), "get"),
        "version_upload_post": (reverse("version_upload_page", args=[slug, appid]), "post"),
        "version_detail": (reverse("version_detail", args=[slug, appid, version.version]), "get"),
        "version_progress": (reverse("version_progress", args=[slug, appid, version.version]), "get"),
    }


GET_PAGES = ["program_list", "program_create", "program_detail", "program_edit", "version_upload_page",
             "version_detail", "version_progress"]


@pytest.mark.parametrize("name", GET_PAGES)
def test_every_page_renders_for_a_developer(client_for, member, org, program, version, name):
    url, _ = page_urls(org, program, version)[name]

    response = client_for(member).get(url)

    assert response.status_code == 200
    if name not in ("program_list", "program_create", "version_progress"):
        assert "City Bikes" in response.content.decode()


ALL_PAGES = [*GET_PAGES, "program_logo", "program_qualification", "version_upload_post"]


@pytest.mark.parametrize("name", ALL_PAGES)
def test_outsider_gets_404(client_for, outsider, org, program, version, name):
    url, method = page_urls(org, program, version)[name]

    response = getattr(client_for(outsider), method)(url)

    assert response.status_code == 404


def test_a_program_is_404_under_another_organisation_of_the_same_user(client_for, owner, program, version):
    """The owner belongs to both organisations, but the program lives in only one of them."""
    second = organisation_create(user=owner, name="Second Org")
    client = client_for(owner)

    for name in ("program_detail", "program_edit", "version_upload_page"):
        assert client.get(reverse(name, args=[second.slug, program.appid])).status_code == 404
    assert client.get(reverse("version_detail", args=[second.slug, program.appid, "1.0.0"])).status_code == 404
    assert client.get(reverse("version_progress", args=[second.slug, program.appid, "1.0.0"])).status_code == 404


def test_unknown_version_is_404(client_for, member, org, program):
    response = client_for(member).get(reverse("version_detail", args=[org.slug, program.appid, "9.9.9"]))

    assert response.status_code == 404


@pytest.mark.parametrize("name", ["program_create", "program_edit", "program_logo", "program_qualification",
                                  "version_upload_page", "version_upload_post"])
def test_viewer_cannot_create_edit_or_upload(client_for, viewer, org, program, version, name):
    url, method = page_urls(org, program, version)[name]

    response = getattr(client_for(viewer), method)(url)

    assert response.status_code == 403


def test_viewer_reads_pages_without_write_buttons(client_for, viewer, org, program, version):
    client = client_for(viewer)

    listing = client.get(reverse("program_list", args=[org.slug])).content.decode()
    detail = client.get(reverse("program_detail", args=[org.slug, program.appid])).content.decode()

    assert "New mini-program" not in listing
    assert "City Bikes" in listing
    assert "Upload a version" not in detail
    assert reverse("program_edit", args=[org.slug, program.appid]) not in detail


def test_anonymous_visitor_is_sent_to_login(client, org, program):
    response = client.get(reverse("program_detail", args=[org.slug, program.appid]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# ---------------------------------------------------------------- list


def test_list_shows_programs_with_latest_version_status(client_for, member, org, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY)
    VersionFactory(program=program, version="1.1.0", status=Version.Status.SCAN_FAILED)

    response = client_for(member).get(reverse("program_list", args=[org.slug]))

    html = response.content.decode()
    assert program.appid in html
    assert "status-scan_failed" in html, "the newest upload's status is the one shown"
    assert "Scan failed" in html
    [row] = response.context["page"].object_list
    assert (row.version_count, row.latest_version) == (2, "1.1.0")


def test_list_shows_the_live_release_beside_a_newer_failed_upload(client_for, member, org, program):
    """A released program whose newest upload failed its scan does not look broken: the list names the release."""
    VersionFactory(program=program, version="1.1.0", status=Version.Status.RELEASED)
    VersionFactory(program=program, version="1.4.0", status=Version.Status.SCAN_FAILED)

    html = client_for(member).get(reverse("program_list", args=[org.slug])).content.decode()

    released_link = reverse("version_detail", args=[org.slug, program.appid, "1.1.0"])
    assert f'href="{released_link}"' in html
    assert "status-released" in html and "status-scan_failed" in html
    assert html.index(released_link) < html.index(reverse("version_detail", args=[org.slug, program.appid, "1.4.0"]))


def test_list_search_by_name_and_appid(client_for, member, org, program):
    other = MiniProgramFactory(organisation=org, name="Tea Shop")
    client = client_for(member)

    by_name = client.get(reverse("program_list", args=[org.slug]), {"q": "tea"}).context["page"].object_list
    by_appid = client.get(reverse("program_list", args=[org.slug]), {"q": program.appid[:10]}).context["page"]

    assert [p.name for p in by_name] == [other.name]
    assert program in list(by_appid.object_list)
    assert other not in list(by_appid.object_list)


def test_list_paginates_25_per_page(client_for, member, org):
    for n in range(26):
        MiniProgramFactory(organisation=org, name=f"Program {n:02d}")

    client = client_for(member)
    first = client.get(reverse("program_list", args=[org.slug]))
    second = client.get(reverse("program_list", args=[org.slug]), {"page": 2})

    assert len(first.context["page"].object_list) == 25
    assert [p.name for p in second.context["page"].object_list] == ["Program 25"]
    assert "Page 1 of 2" in first.content.decode()


def test_empty_list_invites_to_create_the_first_program(client_for, member, org):
    html = client_for(member).get(reverse("program_list", args=[org.slug])).content.decode()

    assert "Create your first mini-program" in html
    assert reverse("program_create", args=[org.slug]) in html


def test_list_does_not_show_other_organisations_programs(client_for, member, org, other_org):
    MiniProgramFactory(organisation=other_org, name="Evil App")

    html = client_for(member).get(reverse("program_list", args=[org.slug])).content.decode()

    assert "Evil App" not in html


# ---------------------------------------------------------------- create


def create_data(**overrides):
    data = {
        "name": "Tea Time", "slogan": "Tea, delivered", "description": "Order tea.",
        "categories": [category("food-delivery").pk, category("life-services").pk],
        "privacy_policy_url": "https://tea.example.com/privacy",
        "request_domains": "https://api.tea.example.com\napi2.tea.example.com\n", "upload_domains": "",
        "download_domains": "https://cdn.tea.example.com", "socket_domains": "wss://live.tea.example.com",
    }
    return {**data, **overrides}


def test_create_form_creates_the_program_and_opens_its_page(client_for, member, org):
    response = client_for(member).post(reverse("program_create", args=[org.slug]), create_data())

    program = MiniProgram.objects.get(name="Tea Time")
    assert response.status_code == 302
    assert response.url == reverse("program_detail", args=[org.slug, program.appid])
    assert program.organisation == org
    assert program.created_by == member
    assert sorted(program.categories.values_list("code", flat=True)) == ["food-delivery", "life-services"]
    assert program.request_domains == ["https://api.tea.example.com", "https://api2.tea.example.com"]
    assert program.socket_domains == ["wss://live.tea.example.com"]
    assert program.privacy_policy_url == "https://tea.example.com/privacy"


def test_create_form_marks_categories_needing_documents_and_service_types(client_for, member, org):
    html = client_for(member).get(reverse("program_create", args=[org.slug])).content.decode()

    assert "qualification document" in html
    assert "service type" in html
    assert 'name="request_domains"' in html and 'name="socket_domains"' in html


@pytest.mark.parametrize("overrides, field, message", [
    ({"name": "ab"}, "name", "3–20 characters"),
    ({"request_domains": "https://10.0.0.1"}, "request_domains", "IP address"),
    ({"socket_domains": "https://live.example.com"}, "socket_domains", "wss://"),
    ({"upload_domains": "https://localhost"}, "upload_domains", "not a public domain"),
    ({"categories": []}, "categories", "required"),
])
def test_create_form_shows_service_errors_on_the_right_field(client_for, member, org, overrides, field, message):
    response = client_for(member).post(reverse("program_create", args=[org.slug]), create_data(**overrides))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert not MiniProgram.objects.filter(name="Tea Time").exists()


def test_create_form_refuses_five_categories_with_the_services_message(client_for, member, org):
    codes = ["games", "tools", "education", "social", "entertainment"]
    data = create_data(categories=[category(c).pk for c in codes])

    response = client_for(member).post(reverse("program_create", args=[org.slug]), data)

    assert response.status_code == 400
    assert response.context["form"].errors["categories"] == ["Choose between 1 and 4 categories."]


def test_create_form_refuses_a_taken_name(client_for, member, org, program):
    response = client_for(member).post(reverse("program_create", args=[org.slug]), create_data(name="city bikes"))

    assert response.status_code == 400
    assert "already called" in response.context["form"].errors["name"][0]
    assert 'value="city bikes"' in response.content.decode(), "the form keeps what was typed"


# ---------------------------------------------------------------- detail


def test_detail_shows_header_versions_and_copy_button(client_for, member, org, program):
    VersionFactory(program=program, version="1.0.0", status=Version.Status.READY, uploaded_by=member,
                   upload_method=Version.UploadMethod.CLI, errors=0, warnings=3, risk_score=17)

    response = client_for(member).get(reverse("program_detail", args=[org.slug, program.appid]))

    html = response.content.decode()
    assert f'<code id="appid">{program.appid}</code>' in html
    assert 'data-copy="appid"' in html
    assert "Ride across town" in html
    assert "status-ready" in html
    assert "dev@acme.test" in html and "via CLI" in html
    assert ">17<" in html
    assert reverse("version_detail", args=[org.slug, program.appid, "1.0.0"]) in html
    assert reverse("version_upload_page", args=[org.slug, program.appid]) in html


def test_a_program_without_a_privacy_policy_says_what_it_is_needed_for(client_for, member, org, program):
    """A CI developer's walk: submitting asked for a privacy policy URL that nothing had marked as needed."""
    program.privacy_policy_url = ""
    program.save()

    detail = client_for(member).get(reverse("program_detail", args=[org.slug, program.appid])).content.decode()
    form = client_for(member).get(reverse("program_create", args=[org.slug])).content.decode()

    assert "not set: reviewers need one before a version can be submitted" in detail
    assert "reviewers need it before a version can be submitted" in form


def test_detail_warns_when_a_qualification_document_is_missing(client_for, member, org, program):
    response = client_for(member).get(reverse("program_detail", args=[org.slug, program.appid]))

    html = response.content.decode()
    assert [c.code for c in response.context["missing"]] == ["e-commerce"]
    assert "Qualification document missing" in html
    assert reverse("program_edit", args=[org.slug, program.appid]) + "#qualifications" in html


def test_detail_has_no_warning_once_the_document_is_uploaded(client_for, member, org, program):
    QualificationDocument.objects.create(program=program, category=category("e-commerce"), original_name="x.pdf",
                                         file="qualifications/x.pdf")

    html = client_for(member).get(reverse("program_detail", args=[org.slug, program.appid])).content.decode()

    assert "Qualification document missing" not in html


# ---------------------------------------------------------------- edit, logo, qualification


def test_edit_form_is_prefilled_and_saves(client_for, member, org, program):
    client = client_for(member)
    page = client.get(reverse("program_edit", args=[org.slug, program.appid]))
    assert page.context["form"].initial["request_domains"] == "https://api.citybikes.example.com"

    response = client.post(reverse("program_edit", args=[org.slug, program.appid]), create_data(
        name="City Bikes Pro", categories=[category("travel").pk], request_domains=""))

    program.refresh_from_db()
    assert response.status_code == 302
    assert program.name == "City Bikes Pro"
    assert program.request_domains == []
    assert list(program.categories.values_list("code", flat=True)) == ["travel"]


def test_edit_refuses_a_slogan_with_a_right_to_left_override(client_for, member, org, program):
    response = client_for(member).post(reverse("program_edit", args=[org.slug, program.appid]), create_data(
        name="City Bikes", slogan="Ride\u202eedir"))

    program.refresh_from_db()
    assert response.status_code == 400
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.context["form"].errors["slogan"][0]
    assert "\u202e" not in program.slogan


def test_edit_refusal_keeps_the_stored_program(client_for, member, org, program):
    response = client_for(member).post(reverse("program_edit", args=[org.slug, program.appid]), create_data(
        name="Renamed", request_domains="http://plain.example.com"))

    program.refresh_from_db()
    assert response.status_code == 400
    assert "https://" in " ".join(response.context["form"].errors["request_domains"])
    assert program.name == "City Bikes"
    assert response.context["program"].name == "City Bikes", "the page header shows the stored name"


def test_logo_upload_stores_both_sizes(client_for, member, org, program):
    response = client_for(member).post(reverse("program_logo", args=[org.slug, program.appid]),
                                       {"logo": upload(image_bytes((300, 300)), "logo.png", "image/png")})

    program.refresh_from_db()
    assert response.status_code == 302
    assert program.logo.name.endswith(".png") and program.logo_small.name.endswith("-64.png")
    edit = client_for(member).get(reverse("program_edit", args=[org.slug, program.appid])).content.decode()
    assert program.logo.url in edit and program.logo_small.url in edit


@pytest.mark.parametrize("data, message", [
    (image_bytes((256, 256), mode="CMYK", fmt="JPEG"), "CMYK"),
    (image_bytes((300, 200)), "must be square"),
    (image_bytes((100, 100)), "at least 180×180"),
    (png_bomb(), "decompression bomb"),
    (b"not an image at all", "not a readable PNG or JPEG"),
], ids=["cmyk", "not-square", "too-small", "bomb", "not-an-image"])
def test_logo_refusals_are_shown_on_the_edit_page(client_for, member, org, program, data, message):
    response = client_for(member).post(reverse("program_logo", args=[org.slug, program.appid]),
                                       {"logo": upload(data, "logo.png", "image/png")})

    program.refresh_from_db()
    assert response.status_code == 400
    assert message in " ".join(response.context["logo_form"].errors["logo"])
    assert message in response.content.decode()
    assert not program.logo


def test_qualification_upload_adds_a_document(client_for, member, org, program):
    response = client_for(member).post(reverse("program_qualification", args=[org.slug, program.appid]), {
        "category": category("e-commerce").pk, "file": upload(b"%PDF-1.4 licence", "licence.pdf", "application/pdf")})

    assert response.status_code == 302
    document = program.qualifications.get()
    assert (document.category.code, document.original_name, document.uploaded_by) == ("e-commerce", "licence.pdf",
                                                                                       member)
    edit = client_for(member).get(reverse("program_edit", args=[org.slug, program.appid])).content.decode()
    assert "licence.pdf" in edit


def test_qualification_upload_refuses_a_wrong_file_type(client_for, member, org, program):
    response = client_for(member).post(reverse("program_qualification", args=[org.slug, program.appid]), {
        "category": category("e-commerce").pk, "file": upload(b"GIF89a...", "licence.gif", "image/gif")})

    assert response.status_code == 400
    assert response.context["qualification_form"].errors["file"] == ["Upload the document as PDF, PNG or JPEG."]


def test_qualification_form_offers_only_categories_that_need_one(client_for, member, org, program):
    response = client_for(member).get(reverse("program_edit", args=[org.slug, program.appid]))

    offered = list(response.context["qualification_form"].fields["category"].queryset.values_list("code", flat=True))
    assert offered == ["e-commerce"]


def test_sidebar_links_to_programs_and_marks_it_active(client_for, member, org, program):
    html = client_for(member).get(reverse("program_detail", args=[org.slug, program.appid])).content.decode()

    assert f'<a href="{reverse("program_list", args=[org.slug])}" class="active">' in html


def test_developer_of_two_orgs_sees_each_orgs_programs_only(client_for, member, org, program):
    second = organisation_create(user=member, name="Side Project")
    MiniProgramFactory(organisation=second, name="Side App")
    assert Membership.objects.get(user=member, organisation=second).role == Role.OWNER

    html = client_for(member).get(reverse("program_list", args=[second.slug])).content.decode()

    assert "Side App" in html and "City Bikes" not in html


# ------------------------------------------------------------------ the organisation overview


def test_the_overview_lists_the_programs_with_their_release_and_the_uploads_apart(client_for, org, owner, program):
    """The "N mini-programs" card names each program once, with its current release beside its newest upload;
    the uploads themselves have their own card, each with its error count in words."""
    VersionFactory(program=program, version="1.0.0", status=Version.Status.RELEASED)
    VersionFactory(program=program, version="1.1.0", status=Version.Status.IN_REVIEW, errors=1)
    quiet = MiniProgramFactory(organisation=org, name="Quiet Pond")

    response = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug]))

    panels = {panel.template: panel.context for panel in response.context["panels"]}
    listed = panels["programs/panels/dashboard.html"]["programs"]
    assert [(p.name, p.released_version, p.latest_version, p.latest_status) for p in listed] == [
        ("City Bikes", "1.0.0", "1.1.0", "in_review"), ("Quiet Pond", None, None, None)]
    assert [v.version for v in panels["programs/panels/recent_versions.html"]["versions"]] == ["1.1.0", "1.0.0"]
    html = response.content.decode()
    assert html.count(reverse("program_detail", args=[org.slug, program.appid])) >= 2
    assert reverse("program_detail", args=[org.slug, quiet.appid]) in html
    assert "Not released yet" in html and "1 error<" in html and "1 errors" not in html


def test_the_overview_without_uploads_has_no_empty_uploads_card(client_for, org, owner, program):
    response = client_for(owner).get(reverse("organisation_dashboard", args=[org.slug]))

    templates = [panel.template for panel in response.context["panels"]]
    assert templates == ["programs/panels/dashboard.html"]
    assert "City Bikes" in response.content.decode()
