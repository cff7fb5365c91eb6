"""The API contract harness: schemathesis through the whole Django stack, each operation with its own credentials.

`console/tests/test_api_contract.py` runs every operation of `/api/schema/` with generated input (valid and
invalid) and fails on any 5xx, any status the schema does not document, and any response that does not
match its schema. Credentials are pluggable: `CREDENTIALS` maps a path prefix to a function of the
`ContractWorld` returning a `requests` auth object, which sees the final request (method, URL, body) —
enough to sign it. Host-signed operations (`/api/v1/hosts/{host}/…`, `X-Host-Key`, `X-Host-Timestamp`,
`X-Host-Signature`) plug in with `register_credentials("/api/v1/hosts/", lambda world: HostSignature(…))`,
and real path values with `world.path_values[...]`.

Requests go through `requests` (so that an auth object sees the prepared request, body and all) into
Django's request handler in the test's own thread and transaction (`DjangoAdapter`): every middleware,
authentication, CSRF check and exception handler runs as in production, without a server thread, and
each test rolls back instead of flushing the database.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from urllib.parse import unquote_to_bytes, urlsplit

import requests
from django.core.handlers.wsgi import LimitedStream
from django.test.client import ClientHandler, FakePayload
from django.utils.crypto import get_random_string
from requests.adapters import BaseAdapter
from requests.auth import AuthBase
from requests.structures import CaseInsensitiveDict
from urllib3 import HTTPHeaderDict

BASE_URL = "http://testserver"


class DjangoAdapter(BaseAdapter):
    """A `requests` transport that hands each prepared request to Django's handler (CSRF checks on)."""

    def __init__(self):
        super().__init__()
        self.handler = ClientHandler(enforce_csrf_checks=True)

    def send(self, request, **kwargs):
        response = self.handler(self._environ(request))
        content = b"".join(response.streaming_content) if response.streaming else response.content
        result = requests.Response()
        result.status_code, result.reason = response.status_code, response.reason_phrase
        result.headers = CaseInsensitiveDict(response.items())
        result.raw = SimpleNamespace(headers=HTTPHeaderDict(response.items()), version=11)  # as urllib3's
        result._content, result.url, result.request, result.encoding = content, request.url, request, "utf-8"
        return result

    def _environ(self, request) -> dict:
        url = urlsplit(request.url)
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        environ = {
            "REQUEST_METHOD": request.method, "PATH_INFO": unquote_to_bytes(url.path).decode("iso-8859-1"),
            "QUERY_STRING": url.query, "SERVER_NAME": "testserver", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "SCRIPT_NAME": "", "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
            "wsgi.input": LimitedStream(FakePayload(body), len(body)), "wsgi.errors": None,
            "wsgi.multiprocess": True, "wsgi.multithread": False, "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
        }
        for name, value in request.headers.items():
            key = name.upper().replace("-", "_")
            environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
        return environ

    def close(self):
        pass


class BearerKey(AuthBase):
    """An organisation API key."""

    def __init__(self, key: str):
        self.key = key

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.key}"
        return request


class StaffSession(AuthBase):
    """A signed-in staff session, as the browser sends it: the session cookie and the CSRF token pair."""

    def __init__(self, session_key: str):
        self.csrf = get_random_string(32)
        self.cookie = f"sessionid={session_key}; csrftoken={self.csrf}"

    def __call__(self, request):
        request.headers["Cookie"] = self.cookie
        request.headers["X-CSRFToken"] = self.csrf
        return request


class HostSignature(AuthBase):
    """A host platform's signed call (SPEC §9): X-Host-Key, X-Host-Timestamp and X-Host-Signature, the
    HMAC-SHA256 under the key's secret of "<timestamp>\\n<METHOD>\\n<path with query>\\n" + the raw body.
    Ready for the host operations: `register_credentials("/api/v1/hosts/", lambda w: HostSignature(...))`."""

    def __init__(self, key_id: str, secret: str, clock=time.time):
        self.key_id, self.secret, self.clock = key_id, secret, clock

    def __call__(self, request):
        timestamp = str(int(self.clock()))
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        signed = f"{timestamp}\n{request.method}\n{path}\n".encode() + (body.encode() if isinstance(body, str) else body)
        digest = hmac.new(self.secret.encode(), signed, hashlib.sha256).hexdigest()
        request.headers.update({"X-Host-Key": self.key_id, "X-Host-Timestamp": timestamp,
                                "X-Host-Signature": f"sha256={digest}"})
        return request


@dataclass
class ContractWorld:
    """The objects an operation's path can name, and the credentials of each kind of caller."""

    org_key: str
    reviewer_session: str
    operator_session: str = ""
    host_key: tuple[str, str] = ("", "")  # (key id, secret) of a host credential
    path_values: dict[str, list] = field(default_factory=dict)
    # Values that name one object together (a version of that program, a request of that program). Drawn
    # alone, each name's values rarely meet: the withdrawal of a request was reached by 1 case in 9, and a run
    # of 40 cases missed it about once in a hundred runs.
    path_value_sets: list[dict] = field(default_factory=list)


# Longest prefix wins. Every operation must be matched: a new kind of caller registers here.
CREDENTIALS: dict[str, Callable[[ContractWorld], AuthBase]] = {
    "/api/v1/": lambda world: BearerKey(world.org_key),
    "/api/v1/reviews/": lambda world: StaffSession(world.reviewer_session),
    "/api/v1/distribution/": lambda world: StaffSession(world.operator_session),
    "/api/v1/hosts/": lambda world: HostSignature(*world.host_key),
}


def register_credentials(prefix: str, make: Callable[[ContractWorld], AuthBase]) -> None:
    CREDENTIALS[prefix] = make


def credentials_for(path: str, world: ContractWorld) -> AuthBase:
    prefixes = [p for p in CREDENTIALS if path.startswith(p)]
    if not prefixes:
        raise LookupError(f"No credentials registered for {path}: add them with register_credentials().")
    return CREDENTIALS[max(prefixes, key=len)](world)


def session_for(path: str, world: ContractWorld) -> requests.Session:
    session = requests.Session()
    session.auth = credentials_for(path, world)
    session.trust_env = False
    session.mount(BASE_URL, DjangoAdapter())
    return session
