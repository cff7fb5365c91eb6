"""The schema is the contract: schemathesis runs every operation of /api/schema/ against a live server.

Each operation gets generated input, valid and invalid (schemathesis's positive and negative modes), with
path values that name real objects half of the time, under its own kind of credentials (an organisation
API key; a reviewer's session for the review API; see console/tests/contract.py to add host signatures).
A case fails on a 5xx, a status the schema does not document, a content type or body that does not match
the schema. The attack reproduced: a client that trusts the published schema meets an answer it does not
describe (26 statuses once were undocumented).

Requests go through the whole Django stack in the test's thread (console/tests/contract.py). It runs in
the PostgreSQL pass of .ci/run, the database production uses; one pass is enough for a contract, so on
SQLite it is skipped, saying so (`CONTRACT=1` runs it there too). About 2 minutes for 34 operations.
"""

import os
from collections import Counter

import pytest
import schemathesis
from django.db import connection
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from console.tests import figures
from console.tests.contract import BASE_URL, ContractWorld, session_for

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = int(os.environ.get("CONTRACT_EXAMPLES", 20))  # per operation and mode; ~2 minutes in all
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SchemaGenerator().get_schema(request=None, public=True)["paths"].items()
    for method in item if method in {"get", "post", "put", "patch", "delete"}
)
SUMMARY = "API contract: {passed} of {operations} operations passed, {cases} cases; statuses {statuses}"
# Operations whose every generated case may miss, and why (the sanity check below asks the others for a hit).
ONLY_MISSES = {
    "/api/v1/programs/{appid}/versions/{version}/files/content/": "the file path is generated, never a real one",
}

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(connection.vendor != "postgresql" and os.environ.get("CONTRACT") != "1",
                       reason="the API contract runs on PostgreSQL (set DATABASE_URL, or CONTRACT=1 for SQLite); "
                              ".ci/run's PostgreSQL pass runs it"),
]


_SERVED_SCHEMA: list = []  # the schema depends on no data: fetched by a process's first test, read by the others


@pytest.fixture
def api_schema(world):
    """The schema as /api/schema/ serves it."""
    if not _SERVED_SCHEMA:
        with session_for("/api/v1/", world) as session:
            served = session.get(f"{BASE_URL}/api/schema/?format=json")
        assert served.status_code == 200
        _SERVED_SCHEMA.append(schemathesis.openapi.from_dict(served.json()))
    return _SERVED_SCHEMA[0]


def _staff_session(user) -> str:
    from django.test import Client

    browser = Client()
    browser.force_login(user)
    return browser.cookies["sessionid"].value


@pytest.fixture
def world(org, owner, owner_key, django_user_model):
    from django.contrib.auth.models import Group

    from console.roles import StaffGroup
    from distribution.tests.conftest import grant_scene, make_operator, program_in, request_scene
    from programs.models import Version
    from programs.tests.factories import MiniProgramFactory, VersionFactory
    from reviews.tests.factories import WaitingVersionFactory, released_version

    program = MiniProgramFactory(organisation=org)
    released_version(program, version="1.0.0")
    VersionFactory(program=program, version="1.1.0", status=Version.Status.READY)
    waiting = WaitingVersionFactory(org=org, version="2.0.0")
    elsewhere = WaitingVersionFactory()  # another organisation's: what the reviewer reviews
    reviewer = django_user_model.objects.create_user(email="rita@platform.test", password="x-9-long-password")
    reviewer.groups.add(Group.objects.get(name=StaffGroup.REVIEWERS))
    operator = make_operator("oscar@platform.test", "weibo")
    service = program_in(org, "life-services")
    pending = request_scene(service, "weibo.feed", owner)
    grant = grant_scene(program_in(org, "life-services"), "weibo.profile", owner, operator)
    from hosts.models import Host
    from hosts.services import credential_create

    credential, secret = credential_create(host=Host.objects.get(code="weibo"), actor=None, name="contract")
    from console.notify.webhooks import webhook_endpoint_create, webhook_ping
    from programs.models import TrialTester

    tester = TrialTester.objects.create(program=program, email="tess@example.com")
    from programs.models import QualificationDocument
    from programs.tests.factories import category

    program.categories.add(category("e-commerce"))
    from django.core.files.base import ContentFile

    document = QualificationDocument(program=program, category=category("e-commerce"), original_name="licence.pdf")
    document.file.save("licence.pdf", ContentFile(b"%PDF-1.4 licence"))
    endpoint = webhook_endpoint_create(organisation=org, actor=owner, url="https://hooks.acme.test/",
                                       events=["scan.finished"])
    delivery = webhook_ping(endpoint=endpoint, actor=owner)  # queued after a commit the test never makes
    from console.models import Membership
    from console.roles import Role
    from console.services import api_key_create
    from console.tests.factories import InvitationFactory, UserFactory

    developer = Membership.objects.create(organisation=org, user=UserFactory(email="dev@acme.test"),
                                          role=Role.DEVELOPER)
    invitation = InvitationFactory(organisation=org, invited_by=owner)
    other_key, _ = api_key_create(org=org, user=owner, role=Role.OWNER, name="other", scopes=["org:read"])
    owner_membership = Membership.objects.get(organisation=org, user=owner)
    return ContractWorld(
        host_key=(credential.key_id, secret),
        org_key=owner_key[1], reviewer_session=_staff_session(reviewer), operator_session=_staff_session(operator),
        path_values={"org_slug": [org.slug], "appid": [program.appid, waiting.program.appid, service.appid],
                     "version": ["1.0.0", "1.1.0", "2.0.0"], "version_id": [elsewhere.pk, waiting.pk],
                     "request_id": [pending.pk], "grant_id": [grant.pk], "host": ["weibo"],
                     "tester_id": [tester.pk], "document_id": [document.pk], "endpoint_id": [endpoint.pk], "delivery_id": [str(delivery.pk)],
                     "member_id": [developer.pk, owner_membership.pk], "invitation_id": [invitation.pk],
                     "key_id": [other_key.pk]},
        path_value_sets=[{"appid": program.appid, "version": "1.0.0"}, {"appid": program.appid, "version": "1.1.0"},
                         {"appid": waiting.program.appid, "version": "2.0.0"},
                         {"appid": service.appid, "request_id": pending.pk},
                         {"appid": program.appid, "tester_id": tester.pk},
                         {"appid": program.appid, "document_id": document.pk},
                         {"org_slug": org.slug, "endpoint_id": endpoint.pk, "delivery_id": str(delivery.pk)}],
    )


def _strategy(operation, world: ContractWorld):
    names = [p.name for p in operation.path_parameters]
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    generated = [operation.as_strategy(generation_mode=mode) for mode in modes]
    if not names or not all(world.path_values.get(n) for n in names):
        return st.one_of(generated)
    real = st.fixed_dictionaries({n: st.sampled_from(world.path_values[n]) for n in names})
    together = [{n: values[n] for n in names} for values in world.path_value_sets if set(names) <= set(values)]
    if together:  # half the real cases name objects that belong together, half mix them (an outsider's 404)
        real = st.one_of(st.sampled_from(together), real)
    return st.one_of(*generated, real.flatmap(
        lambda values: operation.as_strategy(generation_mode=schemathesis.GenerationMode.POSITIVE,
                                             path_parameters=values)))


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_only_what_the_schema_documents(api_schema, world, method, path):
    operation = api_schema[path][method]
    session = session_for(path, world)
    seen: Counter = Counter()

    @settings(max_examples=EXAMPLES * 2, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=_strategy(operation, world))
    def run(case):
        response = case.call(base_url=BASE_URL, session=session)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    figures.record("contract", Counter(operations=1), SUMMARY)
    try:
        run()
    finally:
        figures.record("contract", seen, SUMMARY)  # cases per status, printed at the end of the run
    # Sanity: the credentials work and some cases name real objects (401 stays possible: a host key used on
    # another host's path, a replayed signature, a generated bad header).
    assert set(seen) - {401, 404} or path in ONLY_MISSES, f"no case got past authentication and lookup: {dict(seen)}"
    figures.record("contract", Counter(passed=1), SUMMARY)
