"""POST …/versions/{version}/submit|withdraw|trial|release|cancel|rollback/ through an API key.

A refusal because of the version's or the program's state is 409 `wrong_state` (a used-up quota 409
`limit_reached`), so that a script can tell it from bad input, which stays 400 `invalid` with `fields`.
"""

import pytest

from programs.models import Version
from programs.releases import program_rollback, version_release
from programs.tests.factories import MiniProgramFactory, VersionFactory

pytestmark = pytest.mark.django_db

S = Version.Status


@pytest.fixture
def program(org):
    return MiniProgramFactory(organisation=org, name="City Bikes")


def make(program, status, **fields) -> Version:
    return VersionFactory(program=program, status=status, **fields)


def act(api, version, action: str, data: dict | None = None):
    url = f"/api/v1/programs/{version.program.appid}/versions/{version.version}/{action}/"
    return api.post(url, data or {}, format="json")


def refusal(response, status: int = 409, code: str = "wrong_state") -> str:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == (code, {})
    return error["message"]


def released(program, number: str, owner) -> Version:
    return version_release(version=make(program, S.APPROVED, version=number), actor=owner)


# ---------------------------------------------------------------- 409 wrong_state


def test_submit_while_another_version_is_in_review_is_409(api_with_key, program):
    make(program, S.IN_REVIEW, version="1.0.0")
    message = refusal(act(api_with_key, make(program, S.READY, version="1.1.0"), "submit"))
    assert "already in review" in message


def test_submit_of_a_version_that_is_not_ready_is_409(api_with_key, program):
    message = refusal(act(api_with_key, make(program, S.SCANNING), "submit"))
    assert message.startswith("Only a development version")


def test_release_of_a_version_not_approved_is_409(api_with_key, program):
    assert refusal(act(api_with_key, make(program, S.IN_REVIEW), "release")) == (
        "Only an approved version can be released.")


def test_release_of_a_released_version_is_409(api_with_key, program, owner):
    assert refusal(act(api_with_key, released(program, "1.0.0", owner), "release")) == (
        "Only an approved version can be released.")


def test_withdraw_when_not_in_review_is_409(api_with_key, program):
    assert refusal(act(api_with_key, make(program, S.APPROVED), "withdraw")) == (
        "Only a version in review can be withdrawn.")


def test_trial_of_a_released_version_is_409(api_with_key, program, owner):
    assert refusal(act(api_with_key, released(program, "1.0.0", owner), "trial")).startswith(
        "Only a development version")


def test_a_phased_first_release_is_409(api_with_key, program):
    assert refusal(act(api_with_key, make(program, S.APPROVED), "release", {"percentage": 10})).startswith(
        "A first release goes to every user")


def test_cancel_of_a_release_that_is_not_phased_is_409(api_with_key, program):
    assert refusal(act(api_with_key, make(program, S.APPROVED), "cancel-release")) == (
        "Only a phased release can be cancelled.")


def test_rollback_during_a_phased_release_is_409(api_with_key, program, owner):
    old = released(program, "1.0.0", owner)
    released(program, "1.1.0", owner)
    version_release(version=make(program, S.APPROVED, version="1.2.0"), actor=owner, percentage=10)
    assert refusal(act(api_with_key, old, "rollback")) == "Finish or cancel the phased release before rolling back."


def test_a_used_up_withdrawal_quota_is_409_limit_reached(api_with_key, program, settings):
    settings.WITHDRAWALS_PER_DAY = 0
    assert refusal(act(api_with_key, make(program, S.IN_REVIEW), "withdraw"), code="limit_reached") == (
        "You can withdraw at most 0 submissions a day.")


def test_wrong_state_is_not_the_lost_race_code(api_with_key, program, monkeypatch):
    """A lost race stays 409 `conflict` (reload and look), a wrong state is 409 `wrong_state` (not now)."""
    from programs import lifecycle

    version = make(program, S.APPROVED)
    monkeypatch.setattr(lifecycle.Version.objects, "filter", lambda **kw: Version.objects.none())
    response = act(api_with_key, version, "release")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "conflict")


# ---------------------------------------------------------------- still 400: the input


def test_a_malformed_percentage_is_400_invalid(api_with_key, program):
    response = act(api_with_key, make(program, S.APPROVED), "release", {"percentage": "half"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
    assert list(response.json()["error"]["fields"]) == ["percentage"]


def test_a_percentage_not_above_the_current_one_is_400_on_the_field(api_with_key, program, owner):
    released(program, "0.9.0", owner)
    phased = version_release(version=make(program, S.APPROVED), actor=owner, percentage=30)
    response = act(api_with_key, phased, "release", {"percentage": 20})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"percentage": ["A phased release can only go up: it is at 30%."]}


# ---------------------------------------------------------------- rollback messages


def test_rolling_back_to_the_version_just_rolled_back_says_so(api_with_key, program, owner):
    first = released(program, "1.0.0", owner)
    second = released(program, "1.1.0", owner)
    program_rollback(program=program, target=first, actor=owner)
    assert refusal(act(api_with_key, second, "rollback")) == (
        "1.1.0 was rolled back; a rolled-back version cannot be a rollback target.")


def test_rolling_back_to_the_live_version_says_it_is_live(api_with_key, program, owner):
    released(program, "1.0.0", owner)
    live = released(program, "1.1.0", owner)
    assert refusal(act(api_with_key, live, "rollback")) == "1.1.0 is already live."


def test_rolling_back_too_far_names_the_depth(api_with_key, program, owner, settings):
    settings.ROLLBACK_DEPTH = 1
    oldest = released(program, "1.0.0", owner)
    released(program, "1.1.0", owner)
    released(program, "1.2.0", owner)
    assert refusal(act(api_with_key, oldest, "rollback")) == "Roll back only to one of the last 1 released versions."


# ---------------------------------------------------------------- what is live


def test_a_phased_version_tells_its_percentage(api_with_key, program, owner):
    released(program, "1.0.0", owner)
    phased = version_release(version=make(program, S.APPROVED, version="2.0.0"), actor=owner, percentage=25)
    body = api_with_key.get(f"/api/v1/programs/{program.appid}/versions/2.0.0/").json()
    assert (body["status"], body["release_percentage"]) == ("phased", 25)
    assert phased.phased_percentage == 25


def test_a_version_not_phased_has_no_percentage(api_with_key, program, owner):
    released(program, "1.0.0", owner)
    body = api_with_key.get(f"/api/v1/programs/{program.appid}/versions/1.0.0/").json()
    assert (body["status"], body["release_percentage"]) == ("released", None)


def test_the_program_names_its_live_version(api_with_key, program, owner):
    released(program, "1.0.0", owner)
    body = api_with_key.get(f"/api/v1/programs/{program.appid}/").json()
    assert body["live_version"] == "1.0.0"
    assert body["phased_release"] is None


def test_the_program_names_its_phased_release_with_the_live_version(api_with_key, program, owner):
    released(program, "1.0.0", owner)
    version_release(version=make(program, S.APPROVED, version="1.1.0"), actor=owner, percentage=40)
    body = api_with_key.get(f"/api/v1/programs/{program.appid}/").json()
    assert body["live_version"] == "1.0.0"
    assert body["phased_release"] == {"version": "1.1.0", "percentage": 40}


def test_a_program_with_nothing_released_has_no_live_version(api_with_key, program):
    make(program, S.READY)
    listed = api_with_key.get("/api/v1/programs/").json()["results"][0]
    assert (listed["live_version"], listed["phased_release"]) == (None, None)


# ---------------------------------------------------------------- what a CI job reads back


def test_the_trial_version_and_a_request_for_changes_can_be_read_back(api_with_key, program):
    """A CI job set the trial and could not confirm it; and a version waiting for the developer's answer read
    only `in_review`, like one nobody had looked at."""
    trial = make(program, S.READY, version="1.2.0")
    asked = make(program, S.IN_REVIEW, version="1.3.0", awaiting_developer=True)
    answer = act(api_with_key, trial, "trial")
    assert answer.status_code == 200
    assert answer.json()["is_trial"] is True  # it said false of the version it had just made the trial (a CI walk)

    program_read = api_with_key.get(f"/api/v1/programs/{program.appid}/").json()
    listed = api_with_key.get("/api/v1/programs/").json()["results"]
    versions = {v["version"]: v for v in api_with_key.get(f"/api/v1/programs/{program.appid}/versions/").json()["results"]}

    assert program_read["trial_version"] == "1.2.0" and listed[0]["trial_version"] == "1.2.0"
    assert (versions["1.2.0"]["is_trial"], versions["1.3.0"]["is_trial"]) == (True, False)
    assert (versions["1.3.0"]["awaiting_developer"], versions["1.2.0"]["awaiting_developer"]) == (True, False)
    assert asked.version in versions
