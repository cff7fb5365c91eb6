"""A small host-platform client of the console: signs every call as SPEC §9 "Host calls" says.

Standard library only. In the repository: `python -m hosts.client …`; elsewhere copy this file and
`hosts/signing.py` into one folder and run `python client.py …` (Python 3.11+).

    client.py share-check --host weibo --appid APPID --scene weibo.feed --user U [--share-id S] [--page P]
    client.py placements  --host weibo --scene weibo.profile (--account UID | --topic ID)
    client.py event       --host weibo --appid APPID --scene S --user U [--type visit|share|…] [--share-id S]
    client.py post PATH [BODY-JSON | @file.json]        (e.g. /api/v1/hosts/weibo/events/)
    client.py get PATH

`--url` (default $CONSOLE_URL, else http://127.0.0.1:8000), `--key` ($HOST_KEY_ID) and `--secret`
($HOST_SECRET) go before or after the command. The answer is printed as JSON. Exit codes: 0 done (for
share-check: allowed); 1 share-check denied; 2 the console refused the call (its error is printed), answered
a redirect (use the address it names) or bad usage; 3 the console could not be reached.

From Python: `HostClient(url, key_id, secret).share_check(appid=…, scene=…, user=…)` → (status, body).
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import sys
import time
import urllib.parse
import uuid

try:
    from hosts.signing import signed_headers
except ImportError:  # copied next to signing.py
    from signing import signed_headers  # type: ignore[no-redef]

DEFAULT_URL = "http://127.0.0.1:8000"
OK, DENIED, REFUSED, NETWORK_ERROR = 0, 1, 2, 3


class Redirected(Exception):
    """The console answered a redirect (e.g. http:// to https://). A host call is never redirected: the signed
    path and body would not reach the new address as they were signed, so the call is not followed."""

    def __init__(self, status: int, location: str):
        super().__init__(f"HTTP {status}: the console redirected to {location}; pass that address as --url.")
        self.status, self.location = status, location


class HostClient:
    """Signs and sends host calls; one short-lived connection per call."""

    def __init__(self, url: str, key_id: str, secret: str, *, timeout: float = 30, clock=time.time):
        parts = urllib.parse.urlsplit(url)
        self.scheme, self.netloc, self.base = parts.scheme, parts.netloc, parts.path.rstrip("/")
        self.key_id, self.secret, self.timeout, self.clock = key_id, secret, timeout, clock

    def request(self, method: str, path: str, body: bytes = b"", *, timestamp: int | None = None):
        """Send a signed call; `path` includes any `?query`. Returns (status, headers, parsed JSON or text)."""
        full_path = self.base + path
        stamp = int(self.clock()) if timestamp is None else timestamp
        headers = signed_headers(self.key_id, self.secret, stamp, method, full_path, body)
        if body:
            headers["Content-Type"] = "application/json"
        factory = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        connection = factory(self.netloc, timeout=self.timeout)
        try:
            connection.request(method, full_path, body=body or None, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        if 300 <= response.status < 400:
            raise Redirected(response.status, response.getheader("Location", "?"))
        try:
            payload = json.loads(raw) if raw else None
        except ValueError:
            payload = raw.decode(errors="replace")
        return response.status, dict(response.getheaders()), payload

    def post(self, path: str, payload) -> tuple[int, dict, object]:
        return self.request("POST", path, json.dumps(payload, separators=(",", ":")).encode())

    def get(self, path: str, params: dict | None = None) -> tuple[int, dict, object]:
        query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
        return self.request("GET", path + (f"?{query}" if query else ""))

    def share_check(self, *, host: str, appid: str, scene: str, user: str, share_id: str = "", page: str = ""):
        status, _, payload = self.share_check_answer(host=host, appid=appid, scene=scene, user=user,
                                                     share_id=share_id, page=page)
        return status, payload

    def share_check_answer(self, *, host: str, appid: str, scene: str, user: str, share_id: str = "",
                           page: str = ""):
        """`share_check` with the answer's headers: `X-Host-Replayed: true` marks a replay's first answer."""
        body = {"appid": appid, "scene": scene, "user": user}
        body.update({k: v for k, v in (("share_id", share_id), ("page", page)) if v})
        return self.post(f"/api/v1/hosts/{host}/share-checks/", body)

    def events(self, *, host: str, events: list[dict]):
        """Post a batch of usage events (at most 1,000); answers accepted, duplicates and refused ones."""
        status, _, payload = self.post(f"/api/v1/hosts/{host}/events/", {"events": events})
        return status, payload

    def placements(self, *, host: str, scene: str, account: str | None = None, topic: str | None = None):
        status, _, payload = self.get(f"/api/v1/hosts/{host}/placements/",
                                      {"scene": scene, "account": account, "topic": topic})
        return status, payload


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--url", default=argparse.SUPPRESS)
    common.add_argument("--key", default=argparse.SUPPRESS, help="key id (default $HOST_KEY_ID)")
    common.add_argument("--secret", default=argparse.SUPPRESS, help="secret (default $HOST_SECRET)")
    parser = argparse.ArgumentParser(prog="client.py", description="Signed host calls to the console.",
                                     parents=[common])
    commands = parser.add_subparsers(dest="command", required=True)
    share = commands.add_parser("share-check", parents=[common], help="ask the share gate")
    share.add_argument("--host", required=True)
    for name in ("appid", "scene", "user"):
        share.add_argument(f"--{name}", required=True)
    share.add_argument("--share-id", default="", help="your id of the share (default: a new one each run)")
    share.add_argument("--page", default="")
    places = commands.add_parser("placements", parents=[common], help="cards for a profile, topic or lottery")
    places.add_argument("--host", required=True)
    places.add_argument("--scene", required=True)
    which = places.add_mutually_exclusive_group(required=True)
    which.add_argument("--account")
    which.add_argument("--topic")
    one = commands.add_parser("event", parents=[common], help="post one usage event, happening now")
    one.add_argument("--host", required=True)
    for name in ("appid", "scene", "user"):
        one.add_argument(f"--{name}", required=True)
    one.add_argument("--type", default="visit", choices=["visit", "share", "share_open", "new_user", "payment"])
    one.add_argument("--id", default="", help="event id (default: a new random one)")
    one.add_argument("--page", default="pages/index/index")
    one.add_argument("--share-id", default="")
    one.add_argument("--parent-share-id", default="")
    one.add_argument("--amount", default="")
    post = commands.add_parser("post", parents=[common], help="a signed POST of a JSON body")
    post.add_argument("path")
    post.add_argument("body", nargs="?", default="{}", help="JSON, or @file.json")
    get = commands.add_parser("get", parents=[common], help="a signed GET")
    get.add_argument("path")
    return parser


def _body(text: str):
    if text.startswith("@"):
        with open(text[1:], encoding="utf-8") as handle:
            return json.load(handle)
    return json.loads(text)


def _event(args) -> dict:
    event = {"id": args.id or f"cli-{uuid.uuid4().hex[:16]}", "type": args.type, "appid": args.appid,
             "scene": args.scene, "user": args.user,
             "time": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")}
    if args.type == "visit":
        event["page"] = args.page
    if args.share_id:
        event["share_id"] = args.share_id
    if args.parent_share_id:
        event["parent_share_id"] = args.parent_share_id
    if args.amount:
        event["amount"] = args.amount
    return event


def _call(client: HostClient, args) -> tuple[int, dict, object]:
    """(status, headers, answer) of the command's call."""
    if args.command == "share-check":
        # Each run is a new question: without a share id, two runs in one second signed the very same call,
        # and the second got the first's answer as a replay ("allowed" twice under a cap of 1: an operator walk).
        return client.share_check_answer(host=args.host, appid=args.appid, scene=args.scene, user=args.user,
                                         share_id=args.share_id or f"cli-{uuid.uuid4().hex[:16]}", page=args.page)
    if args.command == "event":
        status, payload = client.events(host=args.host, events=[_event(args)])
        return status, {}, payload
    if args.command == "placements":
        status, payload = client.placements(host=args.host, scene=args.scene, account=args.account,
                                            topic=args.topic)
        return status, {}, payload
    if args.command == "post":
        return client.post(args.path, _body(args.body))
    return client.get(args.path)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    key = getattr(args, "key", None) or os.environ.get("HOST_KEY_ID", "")
    secret = getattr(args, "secret", None) or os.environ.get("HOST_SECRET", "")
    if not key or not secret:
        print("Give --key and --secret (or set HOST_KEY_ID and HOST_SECRET).", file=sys.stderr)
        return REFUSED
    url = getattr(args, "url", None) or os.environ.get("CONSOLE_URL") or DEFAULT_URL
    try:
        status, headers, payload = _call(HostClient(url, key, secret), args)
    except Redirected as exc:
        print(exc, file=sys.stderr)
        return REFUSED
    except (OSError, http.client.HTTPException) as exc:
        print(f"Could not reach {url}: {exc}", file=sys.stderr)
        return NETWORK_ERROR
    except ValueError as exc:
        print(f"The body is not valid JSON: {exc}", file=sys.stderr)
        return REFUSED
    print(json.dumps(payload, ensure_ascii=False, indent=2))
    if {name.lower(): value for name, value in headers.items()}.get("x-host-replayed") == "true":
        print("A replay (the very same signed call within 5 minutes): this is the first answer again, and "
              "nothing was counted.", file=sys.stderr)
    if status >= 400:
        return REFUSED
    if args.command == "share-check" and isinstance(payload, dict) and not payload.get("allow"):
        return DENIED
    return OK


if __name__ == "__main__":
    sys.exit(main())
