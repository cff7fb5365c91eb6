"""`Idempotency-Key` on API writes: a retried request gets the first answer back and writes nothing twice; a
key reused for another request is a 400; refusals are not kept; a 5xx keeps nothing; a key is its caller's."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from console.idempotency import idempotent_requests_prune
from console.models import IdempotentRequest, Membership, WebhookEndpoint
from console.roles import Role, scopes_for_role
from console.services import api_key_create, api_key_revoke
from programs.models import MiniProgram
from programs.tests.concurrency import postgresql_only, race_with  # noqa: F401 (fixture)

PROGRAMS = "/api/v1/programs/"


def _create(api, key="k-1", HTTP_ACCEPT_LANGUAGE="en", **body):
    return api.post(PROGRAMS, {"name": "Bike Rental", "categories": ["travel"], **body}, format="json",
                    HTTP_IDEMPOTENCY_KEY=key, HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE)


def test_a_retried_create_answers_the_first_program_and_makes_no_second(api_with_key, org):
    first = _create(api_with_key)
    again = _create(api_with_key)

    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert again.json() == first.json() and again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert MiniProgram.objects.filter(organisation=org).count() == 1


def test_without_the_header_each_request_writes(api_with_key, org):
    answers = [api_with_key.post(PROGRAMS, {"name": name, "categories": ["travel"]}, format="json")
               for name in ("Bike One", "Bike Two")]

    assert [a.status_code for a in answers] == [201, 201]
    assert MiniProgram.objects.filter(organisation=org).count() == 2
    assert not IdempotentRequest.objects.exists()


def test_a_key_sent_with_another_request_is_a_400_and_writes_nothing(api_with_key, org):
    _create(api_with_key)

    other_body = _create(api_with_key, name="Scooter Rental")
    other_path = api_with_key.post("/api/v1/orgs/acme-apps/webhooks/", {"url": "https://hooks.acme.test/",
                                   "events": ["scan.finished"]}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    for response in (other_body, other_path):
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(MiniProgram.objects.values_list("name", flat=True)) == ["Bike Rental"]
    assert not WebhookEndpoint.objects.exists()


def test_a_refusal_is_not_kept_so_the_fixed_request_goes_through(api_with_key, org):
    refused = _create(api_with_key, categories=["no-such-category"])
    refused_again = _create(api_with_key, categories=["no-such-category"])
    fixed = _create(api_with_key)

    assert (refused.status_code, refused_again.status_code, fixed.status_code) == (400, 400, 201)
    assert "Idempotent-Replayed" not in refused_again
    assert MiniProgram.objects.count() == 1


def test_a_server_error_keeps_neither_the_writes_nor_the_key(org, owner_key, monkeypatch):
    api = APIClient(raise_request_exception=False)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")

    def broken(self, instance):
        raise RuntimeError("the answer could not be made")

    monkeypatch.setattr("programs.apis.ProgramOutput.to_representation", broken)
    failed = _create(api)
    monkeypatch.undo()
    retried = _create(api)

    assert (failed.status_code, retried.status_code) == (500, 201)
    assert MiniProgram.objects.count() == 1  # the failed request's program was rolled back with it
    assert IdempotentRequest.objects.get().status_code == 201


def test_a_key_belongs_to_its_caller(api_with_key, org, owner, member):
    theirs, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="other job",
                                 scopes=scopes_for_role(Role.OWNER))
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    mine = _create(api_with_key, key="shared")
    yours = _create(other, key="shared", name="Scooter Rental")

    assert (mine.status_code, yours.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in yours
    assert MiniProgram.objects.count() == 2


def test_a_revoked_key_gets_its_401_not_the_kept_answer(api_with_key, owner_key, owner):
    _create(api_with_key)
    api_key_revoke(api_key=owner_key[0], actor=owner)

    response = _create(api_with_key)

    assert response.status_code == 401


@pytest.mark.parametrize("key", ["", "a b", "ключ", "x" * 256])
def test_a_malformed_key_is_a_400(api_with_key, key):
    response = _create(api_with_key, key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["message"]
    assert not MiniProgram.objects.exists()


def test_an_outsider_gets_their_own_answer_not_a_word_on_the_key(api, org):
    response = _create(api, key="a b")

    assert response.status_code == 401


def test_a_session_write_needs_its_csrf_token_even_with_a_kept_answer(org, owner):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    body = {"name": "Bike Rental", "categories": ["travel"]}

    first = browser.post(PROGRAMS, body, format="json", HTTP_IDEMPOTENCY_KEY="s-1", HTTP_X_CSRFTOKEN=secret)
    forged = browser.post(PROGRAMS, body, format="json", HTTP_IDEMPOTENCY_KEY="s-1")
    again = browser.post(PROGRAMS, body, format="json", HTTP_IDEMPOTENCY_KEY="s-1", HTTP_X_CSRFTOKEN=secret)

    assert (first.status_code, forged.status_code, again.status_code) == (201, 403, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert MiniProgram.objects.count() == 1


def test_a_multipart_upload_sent_twice_stores_one_document(api_with_key, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from programs.tests.factories import MiniProgramFactory, category

    program = MiniProgramFactory(organisation=org)
    program.categories.add(category("e-commerce"))
    url = f"/api/v1/programs/{program.appid}/qualifications/"

    def send():
        upload = SimpleUploadedFile("licence.pdf", b"%PDF-1.4 licence", content_type="application/pdf")
        return api_with_key.post(url, {"category": "e-commerce", "file": upload}, format="multipart",
                                 HTTP_IDEMPOTENCY_KEY="doc-1")

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert again.json() == first.json()
    assert program.qualifications.count() == 1


def test_a_kept_key_is_forgotten_after_a_day(api_with_key, org, settings):
    _create(api_with_key)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, minutes=1))

    again = _create(api_with_key, name="Scooter Rental")  # the key is free again: a new request
    pruned = idempotent_requests_prune()

    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert MiniProgram.objects.count() == 2
    assert pruned == 0 and IdempotentRequest.objects.count() == 1
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert idempotent_requests_prune() == 1 and not IdempotentRequest.objects.exists()


def test_host_calls_ignore_the_header(settings):
    from console.idempotency import applies_to

    assert not applies_to("/api/v1/hosts/weibo/events/")
    assert not applies_to("/api/v1/hosts/weibo/share-checks/")
    assert applies_to("/api/v1/programs/")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.usefixtures("postgresql_only")
@pytest.mark.parametrize("round_", range(3))
def test_two_requests_with_one_key_at_once_make_one_program(org, owner_key, round_):
    def prepare():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {owner_key[1]}")
        return api

    results = race_with(*[(prepare, lambda api: _create(api, key=f"race-{round_}"))] * 2)

    assert [r.status_code for r in results] == [201, 201], results
    assert sorted(r.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert results[0].json() == results[1].json()
    assert MiniProgram.objects.filter(organisation=org).count() == 1


def test_a_kept_answer_is_sealed_as_the_secret_it_may_hold(api_with_key, org, settings):
    created = api_with_key.post("/api/v1/orgs/acme-apps/webhooks/", {"url": "https://hooks.acme.test/",
                                "events": ["scan.finished"]}, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
    secret = created.json()["secret"]

    stored = bytes(IdempotentRequest.objects.get().body)
    again = api_with_key.post("/api/v1/orgs/acme-apps/webhooks/", {"url": "https://hooks.acme.test/",
                              "events": ["scan.finished"]}, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")

    assert secret.encode() not in stored and b"whsec_" not in stored
    assert again.json()["secret"] == secret and WebhookEndpoint.objects.count() == 1
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40  # rotated without keeping the old one
    settings.SECRET_KEY_FALLBACKS = []
    lost = api_with_key.post("/api/v1/orgs/acme-apps/webhooks/", {"url": "https://hooks.acme.test/",
                             "events": ["scan.finished"]}, format="json", HTTP_IDEMPOTENCY_KEY="hook-1")
    assert (lost.status_code, lost.json()["error"]["code"]) == (409, "conflict")  # never a second endpoint
    assert WebhookEndpoint.objects.count() == 1


# ---------------------------------------------------------------- what a CI developer's walk found


def _multipart(boundary: str, document: bytes) -> bytes:
    return (f"--{boundary}\r\nContent-Disposition: form-data; name=\"category\"\r\n\r\ne-commerce\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"licence.pdf\"\r\n"
            f"Content-Type: application/pdf\r\n\r\n").encode() + document + f"\r\n--{boundary}--\r\n".encode()


@pytest.fixture
def licensed_program(org):
    from programs.tests.factories import MiniProgramFactory, category

    program = MiniProgramFactory(organisation=org)
    program.categories.add(category("e-commerce"))
    return program


def _send_document(api, program, boundary: str, document: bytes, key="doc-1"):
    return api.generic("POST", f"/api/v1/programs/{program.appid}/qualifications/", _multipart(boundary, document),
                       content_type=f"multipart/form-data; boundary={boundary}", HTTP_IDEMPOTENCY_KEY=key)


def test_a_multipart_retry_with_a_new_boundary_is_the_same_request(api_with_key, licensed_program):
    """Every client draws a new boundary for each send: the boundary was part of the match, and no upload could
    be retried (a CI walk)."""
    first = _send_document(api_with_key, licensed_program, "a" * 32, b"%PDF-1.4 licence")
    again = _send_document(api_with_key, licensed_program, "b" * 32, b"%PDF-1.4 licence")

    assert (first.status_code, again.status_code) == (201, 201), first.content
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert licensed_program.qualifications.count() == 1


def test_another_document_of_the_same_length_is_another_request(api_with_key, licensed_program):
    """Matched by its length alone, a different upload was answered with the first one's 2xx (a CI walk)."""
    _send_document(api_with_key, licensed_program, "a" * 32, b"%PDF-1.4 licence A")

    other = _send_document(api_with_key, licensed_program, "a" * 32, b"%PDF-1.4 licence B")

    assert other.status_code == 400 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert licensed_program.qualifications.count() == 1


def test_a_multipart_body_is_read_before_the_key_is_claimed(api_with_key, licensed_program, monkeypatch):
    """A slow upload held SQLite's write lock for its whole transfer: every other write waited 20 s and got a 503.
    The body is read (to a temporary file) before the transaction that claims the key."""
    import console.idempotency as idempotency

    seen = []
    claim = idempotency._claim

    def watching(caller, key, fingerprint, request):
        seen.append(request._stream.read(4))
        request._stream.seek(0)
        return claim(caller, key, fingerprint, request)

    monkeypatch.setattr(idempotency, "_claim", watching)
    response = _send_document(api_with_key, licensed_program, "c" * 32, b"%PDF-1.4 licence")

    assert response.status_code == 201
    assert seen == [b"--cc"]  # the spooled copy, from its start: nothing left to read from the network


def test_the_view_still_limits_a_spooled_upload(api_with_key, licensed_program, settings):
    too_big = b"%PDF-1.4 " + b"x" * (10 * 1024 * 1024)

    response = _send_document(api_with_key, licensed_program, "d" * 32, too_big, key="big-1")

    assert response.status_code == 413
    assert not IdempotentRequest.objects.exists() and licensed_program.qualifications.count() == 0


def test_the_boundary_free_digest_is_the_same_in_any_chunks():
    from console.idempotency import _WithoutBoundary

    body = _multipart("x" * 20, b"some bytes --xxxxxxxxx almost a boundary")
    digests = set()
    for size in (1, 3, 7, 22, 64, len(body)):
        digest = _WithoutBoundary(b"--" + b"x" * 20)
        for start in range(0, len(body), size):
            digest.update(body[start:start + size])
        digests.add(digest.hexdigest())
    other = _WithoutBoundary(b"--" + b"y" * 20)
    other.update(_multipart("y" * 20, b"some bytes --xxxxxxxxx almost a boundary"))

    assert digests == {other.hexdigest()}


def test_a_replay_goes_only_to_a_caller_the_api_still_takes(api_with_key, org, owner, settings):
    """A disabled account's key, or an address locked out for guessing keys, got the kept answer (a CI walk)."""
    from django.core.cache import cache

    _create(api_with_key)
    owner.is_active = False
    owner.save()
    disabled = _create(api_with_key)
    owner.is_active = True
    owner.save()
    guesser = APIClient(REMOTE_ADDR="10.9.8.7")
    guesser.credentials(HTTP_AUTHORIZATION="Bearer mpk_000000000000_wrong")
    assert [guesser.get("/api/v1/me/").status_code for _ in range(30)][-1] == 429
    locked = api_with_key.post(PROGRAMS, {"name": "Bike Rental", "categories": ["travel"]}, format="json",
                               HTTP_IDEMPOTENCY_KEY="k-1", REMOTE_ADDR="10.9.8.7")
    cache.clear()

    assert disabled.status_code == 401 and "disabled" in disabled.json()["error"]["message"]
    assert locked.status_code == 429
    assert MiniProgram.objects.count() == 1


def test_a_replay_counts_towards_the_keys_rate(api_with_key, monkeypatch):
    from console.authentication import ApiKeyRateThrottle

    monkeypatch.setattr(ApiKeyRateThrottle, "rate", "2/minute", raising=False)  # undone after the test

    answers = [_create(api_with_key) for _ in range(3)]

    assert [a.status_code for a in answers] == [201, 201, 429]
    assert answers[1]["Idempotent-Replayed"] == "true" and 0 < int(answers[2]["Retry-After"]) <= 60


def test_a_replayed_answer_keeps_its_own_headers(api_with_key, org, member):
    target = Membership.objects.get(organisation=org, user=member)
    url = f"/api/v1/orgs/{org.slug}/members/{target.pk}/"

    first = api_with_key.delete(url, HTTP_IDEMPOTENCY_KEY="rm-1")
    again = api_with_key.delete(url, HTTP_IDEMPOTENCY_KEY="rm-1")
    created = _create(api_with_key, key="lang-1")
    created_again = _create(api_with_key, key="lang-1")

    assert (first.status_code, again.status_code) == (204, 204)
    assert not again.has_header("Content-Type") and again["Idempotent-Replayed"] == "true"
    assert created.status_code == 201, created.content
    kept = IdempotentRequest.objects.get(key="lang-1").headers
    assert kept["Content-Language"] == created["Content-Language"] == created_again["Content-Language"]
    assert created_again["Content-Type"] == created["Content-Type"] == "application/json"


def test_a_malformed_key_names_the_header_in_fields(api_with_key):
    response = _create(api_with_key, key="a b")

    assert list(response.json()["error"]["fields"]) == ["Idempotency-Key"]
