"""What hosts may see of a program changes: the programs generation is bumped once the change commits."""

import pytest

from programs.invalidation import programs_generation
from programs.models import Version
from programs.releases import program_rollback, version_cancel_phase, version_release
from programs.services import program_update
from programs.tests.factories import MiniProgramFactory, VersionFactory, category

pytestmark = pytest.mark.django_db
S = Version.Status


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="City Bikes")


def bumps(capture, action) -> int:
    before = programs_generation()
    with capture(execute=True):
        action()
    return programs_generation() - before


def test_a_release_a_phase_raise_and_a_cancel_each_bump_the_generation(program, owner,
                                                                        django_capture_on_commit_callbacks):
    VersionFactory(program=program, version="0.9.0", status=S.RELEASED)
    phased = VersionFactory(program=program, version="1.0.0", status=S.APPROVED)
    capture = django_capture_on_commit_callbacks

    assert bumps(capture, lambda: version_release(version=phased, actor=owner, percentage=10)) == 1
    assert bumps(capture, lambda: version_release(version=phased, actor=owner, percentage=50)) == 1
    assert bumps(capture, lambda: version_cancel_phase(version=phased, actor=owner)) == 1


def test_a_rollback_bumps_the_generation(program, owner, django_capture_on_commit_callbacks):
    old = VersionFactory(program=program, version="1.0.0", status=S.APPROVED)
    version_release(version=old, actor=owner)
    new = VersionFactory(program=program, version="1.1.0", status=S.APPROVED)
    version_release(version=new, actor=owner)

    assert bumps(django_capture_on_commit_callbacks,
                 lambda: program_rollback(program=program, target=Version.objects.get(pk=old.pk), actor=owner)) >= 1


def test_a_category_edit_bumps_the_generation_and_a_name_edit_does_not(program, owner,
                                                                       django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks

    assert bumps(capture, lambda: program_update(program=program, actor=owner, categories=[category("games")])) == 1
    assert bumps(capture, lambda: program_update(program=program, actor=owner, name="City Bikes 2")) == 0


def test_nothing_is_bumped_when_the_transaction_rolls_back(program, owner):
    from django.db import transaction

    before = programs_generation()
    with transaction.atomic():
        program_update(program=program, actor=owner, categories=[category("games")])
        transaction.set_rollback(True)

    assert programs_generation() == before
