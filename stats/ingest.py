"""The ingest service behind `POST /api/v1/hosts/{host}/events/`: validate, de-duplicate, enqueue.

The request writes nothing to the database: it reads what it needs to validate (the host's
scenes, the batch's programs), marks event ids as seen in the host runtime store (Redis, or its SQLite
file on the embedded default), keeps the accepted events there as one batch, and nudges the Celery task
that stores batches (`stats.tasks.drain_event_batches`).
"""

import base64
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from hosts.models import Host, Scene
from hosts.runtime import host_store
from programs.models import MiniProgram, Version
from stats import seen
from stats.events import IngestContext, events_message, validate_batch
from stats.tasks import EVENT_BATCHES, drain_soon


@dataclass
class IngestAnswer:
    accepted: int
    duplicates: int
    rejected: list[dict]

    def as_dict(self) -> dict:
        return {"accepted": self.accepted, "duplicates": self.duplicates, "rejected": self.rejected}


RAW_KEY_PREFIX = "base64:"


def user_hash_key() -> bytes:
    """The key of the host user ids' HMAC: STATS_USER_HASH_KEY (text, or `base64:` and raw bytes), else derived
    from SECRET_KEY, which ties every stored hash to that key: `manage.py stats_user_hash_key` pins it."""
    configured = settings.STATS_USER_HASH_KEY
    if configured.startswith(RAW_KEY_PREFIX):
        return base64.b64decode(configured.removeprefix(RAW_KEY_PREFIX), validate=True)
    if configured:
        return configured.encode()
    return hashlib.sha256(f"stats-user-hash:{settings.SECRET_KEY}".encode()).digest()


def ingest_context(host: Host, events: list) -> IngestContext:
    appids = {e.get("appid") for e in events if isinstance(e, dict) and isinstance(e.get("appid"), str)}
    programs = dict(MiniProgram.objects.filter(appid__in=appids, deleted_at=None).values_list("appid", "id"))
    now = timezone.now()
    return IngestContext(
        host=host.code,
        programs=programs,
        on_host=_on_host_until(host.code, list(programs), since=now - timedelta(days=settings.STATS_LATE_EVENT_DAYS)),
        scenes=frozenset(Scene.objects.filter(host=host).values_list("code", flat=True)),
        now=now,
        hash_key=user_hash_key(),
        time_zone=ZoneInfo(settings.STATS_TIME_ZONE),
        late_days=settings.STATS_LATE_EVENT_DAYS,
        future_skew_seconds=settings.STATS_FUTURE_SKEW_SECONDS,
    )


def hosts_taking_events(appid: str) -> list[Host]:
    """The active hosts whose events for this program the ingest accepts now (its live release's hosts)."""
    approvals = [hosts for _, hosts in _live_approvals([appid])]
    return [host for host in Host.objects.filter(active=True).order_by("position", "code")
            if any(_approved_for(host.code, hosts) for hosts in approvals)]


LIVE = (Version.Status.RELEASED, Version.Status.PHASED)
NO_LONGER_LIVE = (Version.Status.SUPERSEDED, Version.Status.ROLLED_BACK)


def _on_host_until(host_code: str, appids: list[str], *, since) -> dict[str, datetime | None]:
    """The programs on the host now (None) or until a moment `since` or later, when a release approved for the
    host stopped being live: a host sending a day late still had the program then (a release for other hosts
    only, a rollback)."""
    live, gone_at = set(), {}
    versions = Version.objects.filter(program__appid__in=appids).filter(
        Q(status__in=LIVE) | Q(status__in=NO_LONGER_LIVE, status_changed_at__gte=since))
    for appid, status, hosts, changed_at in versions.values_list(
            "program__appid", "status", "approved_hosts", "status_changed_at"):
        if not _approved_for(host_code, hosts):
            continue
        if status in LIVE:
            live.add(appid)
        else:
            gone_at[appid] = max(gone_at.get(appid, changed_at), changed_at)
    return {**gone_at, **dict.fromkeys(live)}


def _live_approvals(appids: list[str]) -> list[tuple[str, list[str]]]:
    """(appid, approved hosts) of each live release (released or phased) of these programs."""
    return list(Version.objects.filter(program__appid__in=appids, status__in=LIVE)
                .values_list("program__appid", "approved_hosts"))


def _approved_for(host_code: str, approved_hosts: list[str]) -> bool:
    return not approved_hosts or host_code in approved_hosts  # an empty list: every host


def events_ingest(*, host: Host, events: list) -> IngestAnswer:
    validated = validate_batch(events, ingest_context(host, events))
    split = seen.split_duplicates(validated.accepted)
    if split.to_store:
        host_store().append(EVENT_BATCHES, events_message(split.to_store))
        transaction.on_commit(drain_soon)
    return IngestAnswer(accepted=split.new, duplicates=split.duplicates, rejected=validated.rejected)
