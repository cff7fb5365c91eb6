"""The Django admin of programs and hosts (the operators' interface): changelists load and search."""

import pytest
from django.urls import reverse

from console.tests.factories import UserFactory
from hosts.models import Host, PackageSizeLimit
from programs.models import QualificationDocument, Version
from programs.tests.factories import MiniProgramFactory, VersionFactory, category


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(email="root@platform.test", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def rows(org, owner):
    bikes = MiniProgramFactory(organisation=org, name="City Bikes", categories=[category("travel"), category("tools")])
    MiniProgramFactory(organisation=org, name="Food Box")
    VersionFactory(program=bikes, version="2.7.1", status=Version.Status.SCAN_FAILED)
    VersionFactory(program=bikes, version="3.1.4", status=Version.Status.READY)
    for category_code, name in [("e-commerce", "shop-licence.pdf"), ("medical", "clinic-permit.pdf")]:
        QualificationDocument.objects.create(program=bikes, category=category(category_code), original_name=name,
                                             file=f"qualifications/{name}", uploaded_by=owner)
    weibo = Host.objects.get(code="weibo")
    weibo.operators.add(owner)
    PackageSizeLimit.objects.create(dialect="alipay", host=weibo, main_bytes=1000, subpackage_bytes=1000,
                                    full_bytes=3000)
    return bikes


@pytest.mark.parametrize(
    "model, query, present",
    [
        ("programs_category", "e-commerce", "E-commerce"),
        ("programs_miniprogram", "bikes", "City Bikes"),
        ("programs_version", "3.1.4", "City Bikes 3.1.4"),
        ("programs_qualificationdocument", "licence", "City Bikes · E-commerce · "),
        ("hosts_host", "weibo", "Weibo"),
        ("hosts_packagesizelimit", "weibo", "Alipay · Weibo"),
    ],
)
def test_changelist_loads_and_search_finds_one_row(admin_client, rows, model, query, present):
    url = reverse(f"admin:{model}_changelist")
    unfiltered = admin_client.get(url)
    assert unfiltered.status_code == 200
    response = admin_client.get(url, {"q": query})
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert changelist.result_count == 1 < unfiltered.context["cl"].result_count
    assert present in str(changelist.result_list[0])


def test_the_program_list_shows_its_categories_by_name(admin_client, rows):
    content = admin_client.get(reverse("admin:programs_miniprogram_changelist")).content.decode()
    assert "Tools, Travel" in content


def test_the_program_list_names_its_categories_in_the_readers_language(admin_client, rows, django_user_model):
    """Codes ("travel") are no words for people; a Chinese reader gets the catalog's Chinese names."""
    user = django_user_model.objects.get(pk=admin_client.session["_auth_user_id"])
    user.language = "zh-hans"
    user.save(update_fields=["language"])

    content = admin_client.get(reverse("admin:programs_miniprogram_changelist")).content.decode()

    assert "工具、出行" in content


def test_a_version_cannot_be_added_or_edited_in_the_admin(admin_client, rows):
    version = Version.objects.get(version="3.1.4")
    assert admin_client.get(reverse("admin:programs_version_add")).status_code == 403
    response = admin_client.post(reverse("admin:programs_version_change", args=[version.pk]), {"status": "released"})
    assert response.status_code == 403
    assert Version.objects.get(pk=version.pk).status == Version.Status.READY


def test_a_program_change_page_loads(admin_client, rows):
    assert admin_client.get(reverse("admin:programs_miniprogram_change", args=[rows.pk])).status_code == 200


def test_a_developer_cannot_open_the_admin(client_for, member):
    response = client_for(member).get(reverse("admin:programs_miniprogram_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]
