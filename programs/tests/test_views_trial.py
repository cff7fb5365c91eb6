"""The trial version on the program page: QR code image, link, testers; and the page the code opens."""

import io

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from console.models import AuditEvent, Membership
from console.roles import Role
from console.tests.factories import UserFactory
from programs import releases
from programs.models import TrialTester, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory
from programs.views.trial import qr_png

pytestmark = pytest.mark.django_db

S = Version.Status


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="City Bikes", slogan="Ride across town")


@pytest.fixture
def trial(program, owner):
    version = VersionFactory(program=program, version="1.4.0", status=S.READY, description="New map screen")
    releases.version_set_trial(version=version, actor=owner)
    program.refresh_from_db()
    return version


def qr_url(org, program):
    return reverse("trial_qr", args=[org.slug, program.appid])


def program_url(org, program):
    return reverse("program_detail", args=[org.slug, program.appid])


def open_url(program):
    return reverse("trial_open", args=[program.appid])


def add_url(org, program):
    return reverse("trial_tester_add", args=[org.slug, program.appid])


def remove_url(org, program, tester):
    return reverse("trial_tester_remove", args=[org.slug, program.appid, tester.pk])


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# ---------------------------------------------------------------- the QR code


def test_the_qr_code_is_a_png_of_the_trial_link(client_for, member, org, program, trial, settings):
    settings.SITE_URL = "https://console.example.com"

    response = client_for(member).get(qr_url(org, program))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.verify()
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG"
    assert image.width == image.height >= 21 * 8  # at least a version-1 code at 8 px a module
    assert response.content == qr_png(f"https://console.example.com/trial/{program.appid}/")


def test_the_qr_code_is_cached_privately(client_for, viewer, org, program, trial):
    response = client_for(viewer).get(qr_url(org, program))

    assert response.status_code == 200  # any member, viewers included
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_the_qr_code_needs_a_login(client, org, program):
    response = client.get(qr_url(org, program))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_different_links_make_different_codes():
    assert qr_png("https://a.example/trial/1/") != qr_png("https://a.example/trial/2/")


# ---------------------------------------------------------------- the Trial card


def test_the_trial_card_shows_the_version_code_link_and_testers(client_for, member, org, program, trial, owner):
    releases.tester_add(program=program, actor=owner, email="tess@example.com")

    html = client_for(member).get(program_url(org, program)).content.decode()

    assert f'src="{qr_url(org, program)}"' in html
    assert f'value="{releases.trial_link(program)}"' in html
    assert 'data-copy="trial-link"' in html
    assert "1.4.0" in html and "tess@example.com" in html
    assert f'action="{add_url(org, program)}"' in html
    assert f'action="{remove_url(org, program, TrialTester.objects.get())}"' in html


def test_without_a_trial_version_the_card_says_how_to_choose_one(client_for, member, org, program):
    html = client_for(member).get(program_url(org, program)).content.decode()

    assert "No trial version yet." in html
    assert qr_url(org, program) not in html


def test_a_viewer_sees_the_testers_but_cannot_change_them(client_for, viewer, owner, org, program, trial):
    tester = releases.tester_add(program=program, actor=owner, email="tess@example.com")

    html = client_for(viewer).get(program_url(org, program)).content.decode()

    assert "tess@example.com" in html
    assert add_url(org, program) not in html
    assert remove_url(org, program, tester) not in html


# ---------------------------------------------------------------- managing testers


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.DEVELOPER])
def test_owners_admins_and_developers_add_testers(client_for, org, program, role):
    user = UserFactory(email=f"{role}.{role}@acme.test")
    Membership.objects.create(organisation=org, user=user, role=role)

    response = client_for(user).post(add_url(org, program), {"email": "Tess@Example.com"}, follow=True)

    assert response.redirect_chain == [(program_url(org, program) + "#trial", 302)]
    assert list(program.testers.values_list("email", flat=True)) == ["tess@example.com"]
    assert texts(response) == ["tess@example.com can now open the trial version."]


@pytest.mark.parametrize("email, message", [
    ("not-an-email", "Tester's email address: Enter a valid email address."),
    ("", "Tester's email address: This field is required."),
])
def test_a_bad_email_is_refused(client_for, member, org, program, email, message):
    response = client_for(member).post(add_url(org, program), {"email": email}, follow=True)

    assert texts(response) == [message]
    assert not TrialTester.objects.exists()


def test_a_tester_is_listed_once(client_for, member, owner, org, program):
    releases.tester_add(program=program, actor=owner, email="tess@example.com")

    response = client_for(member).post(add_url(org, program), {"email": "TESS@example.com"}, follow=True)

    assert texts(response) == ["tess@example.com is already a tester."]
    assert TrialTester.objects.count() == 1


def test_remove_a_tester(client_for, member, owner, org, program):
    tester = releases.tester_add(program=program, actor=owner, email="tess@example.com")

    response = client_for(member).post(remove_url(org, program, tester), follow=True)

    assert not TrialTester.objects.exists()
    assert texts(response) == ["tess@example.com is no longer a tester."]
    assert AuditEvent.objects.get(action="program.tester_remove").actor == response.wsgi_request.user


def test_a_tester_of_another_program_cannot_be_removed_through_this_one(client_for, member, owner, org, program):
    other = releases.tester_add(program=MiniProgramFactory(organisation=org), actor=owner, email="tess@example.com")

    assert client_for(member).post(remove_url(org, program, other)).status_code == 404
    assert TrialTester.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("action", ["add", "remove"])
def test_a_viewer_gets_403_on_the_tester_actions(client_for, viewer, owner, org, program, action):
    tester = releases.tester_add(program=program, actor=owner, email="tess@example.com")
    path = add_url(org, program) if action == "add" else remove_url(org, program, tester)

    assert client_for(viewer).post(path, {"email": "new@example.com"}).status_code == 403
    assert list(TrialTester.objects.values_list("email", flat=True)) == ["tess@example.com"]


def test_the_tester_actions_need_a_post(client_for, member, owner, org, program):
    tester = releases.tester_add(program=program, actor=owner, email="tess@example.com")
    client = client_for(member)

    assert client.get(add_url(org, program)).status_code == 405
    assert client.get(remove_url(org, program, tester)).status_code == 405


@pytest.mark.parametrize("name", ["trial_qr", "trial_tester_add", "trial_tester_remove"])
def test_an_outsider_gets_404(client_for, outsider, other_org, owner, org, program, trial, name):
    tester = releases.tester_add(program=program, actor=owner, email="tess@example.com")
    client = client_for(outsider)
    args = [program.appid] + ([tester.pk] if name == "trial_tester_remove" else [])

    for slug in (org.slug, other_org.slug):
        path = reverse(name, args=[slug, *args])
        response = client.get(path) if name == "trial_qr" else client.post(path, {"email": "x@evil.test"})
        assert response.status_code == 404
    assert list(TrialTester.objects.values_list("email", flat=True)) == ["tess@example.com"]


# ---------------------------------------------------------------- the page the code opens


def test_a_member_opens_the_trial(client_for, viewer, org, program, trial):
    response = client_for(viewer).get(open_url(program))

    html = response.content.decode()
    assert response.status_code == 200
    assert "City Bikes: trial version" in html
    assert "New map screen" in html
    assert f"appid={program.appid}&amp;version=1.4.0&amp;env=trial" in html
    assert "Open in app" in html
    assert program_url(org, program) in html  # back to the program, for members


def test_the_trial_page_names_the_hosts_in_the_readers_language(client_for, viewer, program, trial):
    viewer.language = "zh-hans"
    viewer.save(update_fields=["language"])
    html = client_for(viewer).get(open_url(program)).content.decode()
    assert "支付宝" in html and "在Alipay" not in html and "Alipay" not in html.split("host-buttons")[-1][:2000]


def test_a_named_tester_opens_it_whatever_the_case_of_the_email(client_for, owner, program, trial):
    releases.tester_add(program=program, actor=owner, email="tess@example.com")
    tess = UserFactory(email="Tess@EXAMPLE.com")

    response = client_for(tess).get(open_url(program))

    html = response.content.decode()
    assert response.status_code == 200
    assert "you are on the tester list" in html
    assert "1.4.0" in html
    assert "/orgs/" not in html.split('id="content"')[1]  # no way into the organisation's pages


def test_anyone_else_gets_404(client_for, outsider, owner, program, trial):
    releases.tester_add(program=program, actor=owner, email="tess@example.com")
    assert client_for(outsider).get(open_url(program)).status_code == 404


def test_a_removed_tester_gets_404(client_for, owner, program, trial):
    tester = releases.tester_add(program=program, actor=owner, email="tess@example.com")
    tess = UserFactory(email="tess@example.com")
    releases.tester_remove(tester=tester, actor=owner)

    assert client_for(tess).get(open_url(program)).status_code == 404


def test_a_tester_of_another_program_gets_404(client_for, owner, org, program, trial):
    releases.tester_add(program=MiniProgramFactory(organisation=org), actor=owner, email="tess@example.com")
    assert client_for(UserFactory(email="tess@example.com")).get(open_url(program)).status_code == 404


def test_the_trial_page_needs_a_login(client, program, trial):
    response = client.get(open_url(program))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_deleted_or_unknown_program_is_404(client_for, member, program, trial):
    client = client_for(member)
    assert client.get(reverse("trial_open", args=["2099000000000000"])).status_code == 404

    program.deleted_at = timezone.now()
    program.save()
    assert client.get(open_url(program)).status_code == 404


def test_without_a_trial_version_the_page_says_so(client_for, member, program):
    response = client_for(member).get(open_url(program))

    assert response.status_code == 200
    assert "No trial version right now" in response.content.decode()
