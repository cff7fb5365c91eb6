"""Post a month (or --days) of realistic usage events for released programs, as hosts would: signed, in batches."""

import json
import time
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone

from hosts import signing
from hosts.client import HostClient, Redirected
from hosts.models import Host, Scene
from hosts.services import demo_credential
from programs.models import MiniProgram, Version
from stats.simulation import Placement, Simulator, batches

DEFAULT_HOSTS = ("weibo", "alipay")
GATE_ASKED_FOR = timedelta(days=1)
OTHER_TARGET_EVERY = 4  # of the last day's shares, one in this many is tried in another scene too


class InProcessHost:
    """Signed calls to this very process's ingest endpoint with each host's demo credential (no server needed)."""

    def __init__(self):
        allowed = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
        self.client = Client(HTTP_HOST=allowed[0] if allowed else "localhost")
        self.credentials: dict[str, tuple[str, str]] = {}

    def post(self, host: str, events: list[dict]) -> dict:
        response = self._signed(host, f"/api/v1/hosts/{host}/events/", {"events": events})
        if response.status_code != 202:
            raise CommandError(f"The ingest refused a batch: {response.status_code} {response.content[:300]!r}")
        return response.json()

    def share_check(self, host: str, body: dict) -> dict:
        response = self._signed(host, f"/api/v1/hosts/{host}/share-checks/", body)
        if response.status_code != 200:
            raise CommandError(f"The share gate refused a call: {response.status_code} {response.content[:300]!r}")
        return response.json()

    def _signed(self, host: str, path: str, payload: dict):
        if host not in self.credentials:
            credential, secret = demo_credential(host=Host.objects.get(code=host))
            self.credentials[host] = (credential.key_id, secret)
        body = json.dumps(payload).encode()
        for _ in range(5):
            headers = signing.signed_headers(*self.credentials[host], int(time.time()), "POST", path, body)
            response = self.client.generic("POST", path, body, content_type="application/json",
                                           **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})
            if response.status_code == 429:  # the key's calls per minute
                time.sleep(float(response.headers.get("Retry-After", 1)))
            elif response.status_code == 401 and b'"replayed"' in response.content:
                time.sleep(1)  # the very same batch within a second (a re-run): sign it again next second
            else:
                break
        return response


class RemoteHost:
    """Signed calls over HTTP to a running console, with the credential given on the command line."""

    def __init__(self, url: str, key: str, secret: str):
        self.client = HostClient(url, key, secret)

    def post(self, host: str, events: list[dict]) -> dict:
        try:
            status, payload = self.client.events(host=host, events=events)
        except Redirected as exc:
            raise CommandError(str(exc)) from None
        if status != 202:
            raise CommandError(f"The console refused a batch: {status} {payload}")
        return payload

    def share_check(self, host: str, body: dict) -> dict:
        try:
            status, payload = self.client.share_check(host=host, **body)
        except Redirected as exc:
            raise CommandError(str(exc)) from None
        if status != 200:
            raise CommandError(f"The share gate refused a call: {status} {payload}")
        return payload


class Command(BaseCommand):
    help = "Send realistic, signed usage events for released programs through the ingest endpoint."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--programs", type=int, default=3, help="How many released programs (newest first).")
        parser.add_argument("--appid", action="append", default=[], help="These programs instead (repeatable).")
        parser.add_argument("--users-per-day", type=int, default=40, help="New users per day and host.")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--url", help="Post to this running console instead of in-process (needs --key, --secret; "
                                          "one host's credential, so only that host's traffic is sent).")
        parser.add_argument("--key", default="")
        parser.add_argument("--secret", default="")

    def handle(self, *args, **options):
        placements = self._placements(options)
        if not placements:
            raise CommandError("No released program to send traffic for: release one first (or name --appid).")
        sender = RemoteHost(options["url"], options["key"], options["secret"]) if options["url"] else InProcessHost()
        sim = Simulator(placements, days=options["days"], new_users_per_day=options["users_per_day"],
                        seed=options["seed"])
        totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
        now, recent_shares = timezone.now(), []
        # Backfilling a month is older than hosts may post; in-process, this local command may.
        with override_settings(STATS_LATE_EVENT_DAYS=max(settings.STATS_LATE_EVENT_DAYS, options["days"] + 1)):
            for batch in batches(sim.events(now=now)):
                for host in sorted({e["scene"].split(".")[0] for e in batch}):
                    events = [e for e in batch if e["scene"].startswith(f"{host}.")]
                    answer = sender.post(host, events)
                    totals["accepted"] += answer["accepted"]
                    totals["duplicates"] += answer["duplicates"]
                    totals["rejected"] += len(answer["rejected"])
                    if not answer["duplicates"]:  # sent before: asked of the gate before
                        recent_shares += [(host, e) for e in events if _shared_lately(e, now)]
        names = ", ".join(sorted({p.appid for p in placements}))
        self.stdout.write(f"Sent {totals['accepted']} events ({totals['duplicates']} duplicates, "
                          f"{totals['rejected']} refused) for {names} over {options['days']} days.")
        if recent_shares:
            checks = _gate_checks(recent_shares)
            self.stdout.write(_gate_summary(len(recent_shares), [sender.share_check(host, body) for host, body in checks]))

    def _placements(self, options) -> list[Placement]:
        programs = MiniProgram.objects.filter(deleted_at=None, versions__status=Version.Status.RELEASED)
        if options["appid"]:
            programs = programs.filter(appid__in=options["appid"])
        programs = programs.distinct().order_by("-created_at")[: options["programs"]]
        placements = []
        for program in programs:
            hosts = _released_hosts(program)
            for host in [h for h in DEFAULT_HOSTS if h in hosts] or sorted(hosts)[:1]:
                scenes = tuple(Scene.objects.filter(host__code=host, needs_whitelist=False, status=Scene.Status.ACTIVE)
                               .values_list("code", flat=True))
                if scenes:
                    placements.append(Placement(appid=program.appid, host=host, scenes=scenes))
        return placements


def _shared_lately(event: dict, now) -> bool:
    """A share of the last day: the gate is asked about those now, as their host would have asked it. The gate
    records its answers as of now (it cannot be asked in the past), so older shares are not asked about."""
    return event["type"] == "share" and datetime.fromisoformat(event["time"]) > now - GATE_ASKED_FOR


def _share_check(event: dict) -> dict:
    return {"appid": event["appid"], "scene": event["scene"], "user": event["user"], "share_id": event["share_id"]}


def _gate_checks(recent_shares: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """A check per share, and for every OTHER_TARGET_EVERY-th another into a different share target of its host,
    as a share sheet offers them (Weibo's home feed beside private messages): the gate answers those with its
    denials (no grant, not a service type, the cap), which is what an operator's dashboard is for."""
    targets = _share_targets()
    checks = [(host, _share_check(event)) for host, event in recent_shares]
    for n, (host, event) in enumerate(recent_shares):
        others = [code for code in targets.get(host, ()) if code != event["scene"]]
        if n % OTHER_TARGET_EVERY == 0 and others:
            other = others[n // OTHER_TARGET_EVERY % len(others)]
            checks.append((host, {**_share_check(event), "scene": other, "share_id": f"{event['share_id']}-{other}"}))
    return checks


def _share_targets() -> dict[str, list[str]]:
    """Each host's active scenes a user shares into (those without placements: a placement is the host's)."""
    targets: dict[str, list[str]] = {}
    for host, code in (Scene.objects.filter(status=Scene.Status.ACTIVE, placement_kind="")
                       .order_by("host__position", "position", "code").values_list("host__code", "code")):
        targets.setdefault(host, []).append(code)
    return targets


def _gate_summary(shares: int, answers: list[dict]) -> str:
    denied = Counter(a["reason"] for a in answers if not a["allow"])
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(denied.items()))
    return (f"Asked the share gate about the last day's {shares} shares ({len(answers)} checks, some into another "
            f"scene): {len(answers) - sum(denied.values())} allowed, {sum(denied.values())} denied"
            + (f" ({reasons})." if reasons else "."))


def _released_hosts(program: MiniProgram) -> set[str]:
    release = program.versions.filter(status=Version.Status.RELEASED).first()
    every = set(Host.objects.filter(active=True).values_list("code", flat=True))
    return set(release.approved_hosts) & every if release and release.approved_hosts else every
