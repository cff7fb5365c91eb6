"""The share gate applies the Distribution page's eligibility rule (distribution.eligibility), in open scenes
and over grants, and sees program changes (categories, verification, rollbacks) within a second."""

import itertools

from distribution.eligibility import program_facts, scene_refusal
from distribution.tests.gate.helpers import a_second_later, grant_for, placement_for, released_program
from distribution.tests.gate.test_gate import ask, reason
from distribution.tests.gate.test_placements import cards
from hosts.models import Scene
from programs.models import Version
from programs.tests.factories import VersionFactory, category

S = Version.Status


def page_reason(program, scene_code: str) -> str:
    """The reason code the Distribution page shows for the program in this scene."""
    refusal = scene_refusal(Scene.objects.select_related("host").get(code=scene_code), program_facts(program))
    return refusal.code if refusal else ""


def test_a_category_not_allowed_in_an_open_scene_is_denied_with_the_pages_reason(weibo_client):
    Scene.objects.filter(code="weibo.private_message").update(allowed_categories=["life-services", "travel"])
    games = released_program(categories=[category("games")])
    bikes = released_program(categories=[category("travel")])

    answer = ask(weibo_client, games, "weibo.private_message")

    assert page_reason(games, "weibo.private_message") == "category_not_allowed"
    assert answer == {"allow": False, "reason": "category_not_allowed", "retry_after": None}
    assert reason(weibo_client, bikes, "weibo.private_message") == "allowed"


def test_an_open_service_type_scene_denies_other_categories_with_the_pages_reason(weibo_client):
    Scene.objects.filter(code="weibo.private_message").update(service_types_only=True)
    tools = released_program(categories=[category("tools")])

    assert page_reason(tools, "weibo.private_message") == "not_service_type"
    assert reason(weibo_client, tools, "weibo.private_message") == "not_service_type"


def test_a_grant_given_before_the_categories_changed_stops_sharing(weibo_client, django_capture_on_commit_callbacks,
                                                                   clock):
    from console.tests.factories import UserFactory
    from programs.services import program_update

    program = released_program()  # life services: a service type, as the feed wants
    grant_for(program, "weibo.feed")
    assert reason(weibo_client, program, "weibo.feed") == "allowed"

    with django_capture_on_commit_callbacks(execute=True):
        program_update(program=program, actor=UserFactory(), categories=[category("games")])
    users = itertools.count()
    before, after = a_second_later(clock, lambda: reason(weibo_client, program, "weibo.feed", user=f"u{next(users)}"))

    assert page_reason(program, "weibo.feed") == "not_service_type"
    assert (before, after) == ("allowed", "not_service_type")  # cached until a second has passed, then re-read


def test_an_organisation_losing_verification_stops_a_verified_only_scene_within_a_second(weibo_client, clock):
    from console.services import organisation_set_verified
    from console.tests.factories import UserFactory

    Scene.objects.filter(code="weibo.profile").update(needs_verified_org=True)
    program = released_program()
    organisation_set_verified(org=program.organisation, actor=UserFactory(), verified=True)
    grant_for(program, "weibo.profile")
    assert reason(weibo_client, program, "weibo.profile") == "allowed"  # facts now cached

    organisation_set_verified(org=program.organisation, actor=UserFactory(), verified=False)
    users = itertools.count()
    before, after = a_second_later(clock, lambda: reason(weibo_client, program, "weibo.profile",
                                                         user=f"u{next(users)}"))

    assert page_reason(program, "weibo.profile") == "org_not_verified"
    assert (before, after) == ("allowed", "org_not_verified")


def test_a_rollback_reaches_the_placements_api_within_a_second(weibo_client, django_capture_on_commit_callbacks, clock):
    from django.utils import timezone

    from console.tests.factories import UserFactory
    from programs.releases import program_rollback

    program = released_program()
    old = VersionFactory(program=program, version="0.9.0", status=S.SUPERSEDED, approved_hosts=["alipay"],
                         released_at=timezone.now() - timezone.timedelta(days=3))
    placement_for(grant_for(program, "weibo.profile"), account_uid="1001", account_name="City official")
    assert len(cards(weibo_client, scene="weibo.profile", account="1001")["cards"]) == 1  # cached for 60 s

    with django_capture_on_commit_callbacks(execute=True):
        program_rollback(program=program, target=old, actor=UserFactory())
    polls = iter(range(1000))  # an unknown parameter the API ignores: each poll is signed afresh, no replay
    before, after = a_second_later(
        clock, lambda: len(cards(weibo_client, scene="weibo.profile", account="1001", poll=next(polls))["cards"]))

    assert (before, after) == (1, 0)  # the rolled-back-to release is for alipay only
