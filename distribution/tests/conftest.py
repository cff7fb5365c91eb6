"""Fixtures of the distribution suite on top of the shared personas (owner, member, outsider, org …)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from console.roles import StaffGroup
from console.tests.factories import UserFactory
from distribution.services import whitelist_approve, whitelist_request_create
from hosts.models import Host, Scene
from programs.models import Version
from programs.tests.factories import MiniProgramFactory, VersionFactory, category

PDF = b"%PDF-1.7\n% evidence\n"


def make_operator(email: str, *hosts: str):
    user = UserFactory(email=email, full_name=email.split("@")[0].title())
    user.groups.add(Group.objects.get(name=StaffGroup.OPERATORS))
    for code in hosts:
        Host.objects.get(code=code).operators.add(user)
    return user


@pytest.fixture
def operator(db):
    """A platform operator assigned to weibo, in no organisation."""
    return make_operator("oona@platform.test", "weibo")


@pytest.fixture
def other_operator(db):
    return make_operator("otto@platform.test", "weibo")


@pytest.fixture
def alipay_operator(db):
    return make_operator("alma@platform.test", "alipay")


def released(program, *, hosts=(), status=Version.Status.RELEASED):
    VersionFactory(program=program, status=status, approved_hosts=list(hosts), released_at=timezone.now())
    return program


def program_in(org, *categories, hosts=(), release=True):
    program = MiniProgramFactory(organisation=org, categories=[category(c) for c in categories])
    return released(program, hosts=hosts) if release else program


@pytest.fixture
def service_program(org):
    """A released life-services program of `org` (eligible for weibo.feed)."""
    return program_in(org, "life-services")


@pytest.fixture
def tools_program(org):
    """A released tools program of `org` (not a service type)."""
    return program_in(org, "tools")


def scene(code: str) -> Scene:
    return Scene.objects.select_related("host").get(code=code)


def pdf(name="licence.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def request_scene(program, code, actor, **kwargs):
    kwargs.setdefault("justification", "Serves commuters in the city.")
    the_scene = scene(code)
    if the_scene.evidence_required:
        kwargs.setdefault("evidence", [pdf()])
    return whitelist_request_create(program=program, scene=the_scene, actor=actor, **kwargs)


ACCOUNTS = [{"account_uid": "1669879400", "account_name": "City Daily"},
            {"account_uid": "2803301701", "account_name": "Bike Club"}]


def grant_scene(program, code, actor, operator, *, days=10, **decision):
    request = request_scene(program, code, actor)
    if scene(code).placement_kind == Scene.PlacementKind.ACCOUNT:
        decision.setdefault("placements", ACCOUNTS)
    return whitelist_approve(request=request, operator=operator, valid_until=timezone.now() + timedelta(days=days),
                             **decision)


SEEDS = [  # the data migrations that fill the catalogs these tests rely on
    ("console.migrations.0002_staff_groups", "create_groups"),
    ("hosts.migrations.0002_seed_hosts", "seed"),
    ("hosts.migrations.0006_seed_scenes", "seed"),
    ("programs.migrations.0002_seed_categories", "seed"),
    ("distribution.migrations.0002_seed_rejection_reasons", "seed"),
]


@pytest.fixture(autouse=True)
def _catalogs_in_transactional_tests(request):
    """As in reviews/tests/conftest.py: transactional tests re-run the idempotent seed migrations."""
    marker = request.node.get_closest_marker("django_db")
    if not (request.node.get_closest_marker("browser") or (marker and marker.kwargs.get("transaction"))):
        return
    request.getfixturevalue("transactional_db")
    from importlib import import_module

    from django.apps import apps

    for module, function in SEEDS:
        getattr(import_module(module), function)(apps, None)


@pytest.fixture
def superuser(db):
    return UserFactory(email="root@platform.test", is_staff=True, is_superuser=True)
