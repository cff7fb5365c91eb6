"""What host calls read, as small frozen facts cached per process (no database query per call).

Facts are keyed on the distribution generation (`distribution.invalidation`), which grant and placement
writers bump, and on the programs generation (`programs.invalidation`), which releases, rollbacks, phased
releases, host approvals and category edits bump; they are re-read at least every GATE_REFRESH_SECONDS
anyway: scene pauses (hosts catalog) and organisation verification (console) bump neither, so that refresh
is what makes them reach the gate within a second. The generations themselves are polled at most that often.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from console.generations import generations
from distribution.eligibility import developer_refusal, program_facts
from distribution.invalidation import GENERATION_KEY as DISTRIBUTION_KEY
from distribution.models import Grant, Placement
from hosts.memo import TtlMemo
from hosts.models import Scene
from programs.invalidation import GENERATION_KEY as PROGRAMS_KEY
from programs.models import MiniProgram, Version


def _ttl() -> float:
    return settings.GATE_REFRESH_SECONDS


class _GenerationPoll:
    """The distribution and programs generations, read from the shared cache (one round trip) at most every
    GATE_REFRESH_SECONDS; "d-p" keys both the per-process facts and the shared placements cache."""

    def __init__(self):
        self._checked_at, self._value, self._lock = float("-inf"), "0-0", threading.Lock()

    def current(self) -> str:
        now = time.monotonic()
        if now - self._checked_at >= _ttl():
            with self._lock:
                self._value, self._checked_at = "-".join(map(str, generations(DISTRIBUTION_KEY, PROGRAMS_KEY))), now
        return self._value

    def forget(self) -> None:
        self._checked_at = float("-inf")


_generation = _GenerationPoll()
_gate_memo = TtlMemo(_ttl)
_placements_memo = TtlMemo(_ttl)


def forget_host_facts() -> None:
    """Drop every cached fact of this process (tests; a management command after bulk edits)."""
    _generation.forget()
    _gate_memo.clear()
    _placements_memo.clear()


# ---------------------------------------------------------------- the share gate's facts


@dataclass(frozen=True)
class SceneFacts:
    id: int
    code: str
    host_code: str
    active: bool
    needs_whitelist: bool
    share_cap: int | None
    share_window: int
    daily_cap: int | None
    rollout_percent: int
    placement_kind: str = ""


@dataclass(frozen=True)
class ReleaseFacts:
    version: str
    approved_hosts: tuple[str, ...]  # empty: every host
    percentage: int | None  # a phased release's share of users; None when fully released


@dataclass(frozen=True)
class GrantFacts:
    status: str
    valid_from: float
    valid_until: float
    share_cap: int | None
    share_window: int
    daily_cap: int | None
    rollout_percent: int


@dataclass(frozen=True)
class GateFacts:
    scene: SceneFacts | None  # None: no such scene on this host
    program_known: bool
    released: ReleaseFacts | None = None
    phased: ReleaseFacts | None = None
    grant: GrantFacts | None = None  # the active grant, else the latest one (for its status)
    ineligible: str = ""  # the eligibility rule's reason code (eligibility.DEVELOPER_REASONS), "" when it lets it in


def gate_facts(host_code: str, scene_code: str, appid: str) -> GateFacts:
    key = (_generation.current(), host_code, scene_code, appid)
    return _gate_memo.get(key, lambda: _load_gate_facts(host_code, scene_code, appid))


def scene_facts(host_code: str, scene_code: str) -> SceneFacts | None:
    """The scene of this host with this code (None if there is none), at most a refresh old."""
    def load():
        scene = Scene.objects.select_related("host").filter(code=scene_code, host__code=host_code).first()
        return _scene_facts(scene) if scene else None

    return _gate_memo.get(("scene", host_code, scene_code), load)


def _scene_facts(scene: Scene) -> SceneFacts:
    return SceneFacts(
        id=scene.pk, code=scene.code, host_code=scene.host.code, active=scene.is_active and scene.host.active,
        needs_whitelist=scene.needs_whitelist, share_cap=scene.share_cap, share_window=scene.share_window_seconds,
        daily_cap=scene.daily_cap, rollout_percent=scene.default_rollout_percent,
        placement_kind=scene.placement_kind,
    )


def _release_facts(row: dict) -> ReleaseFacts:
    percentage = row["phased_percentage"] if row["status"] == Version.Status.PHASED else None
    return ReleaseFacts(version=row["version"], approved_hosts=tuple(row["approved_hosts"] or ()), percentage=percentage)


def _grant_facts(grant: Grant) -> GrantFacts:
    return GrantFacts(
        status=grant.status, valid_from=grant.valid_from.timestamp(), valid_until=grant.valid_until.timestamp(),
        share_cap=grant.effective_share_cap(), share_window=grant.effective_share_window(),
        daily_cap=grant.effective_daily_cap(), rollout_percent=grant.rollout_percent,
    )


def _load_gate_facts(host_code: str, scene_code: str, appid: str) -> GateFacts:
    scene = Scene.objects.select_related("host").filter(code=scene_code, host__code=host_code).first()
    if scene is None:
        return GateFacts(scene=None, program_known=False)
    facts = _scene_facts(scene)
    program = (MiniProgram.objects.select_related("organisation").prefetch_related("categories")
               .filter(appid=appid, deleted_at=None).first())
    if program is None:
        return GateFacts(scene=facts, program_known=False)
    program_id = program.pk
    refusal = developer_refusal(scene, program_facts(program))  # the Distribution page's rule, once per load
    releases = {row["status"]: _release_facts(row) for row in Version.objects.filter(
        program_id=program_id, status__in=[Version.Status.RELEASED, Version.Status.PHASED],
    ).values("status", "version", "approved_hosts", "phased_percentage")}
    grants = Grant.objects.filter(program_id=program_id, scene=scene)
    grant = grants.filter(status=Grant.Status.ACTIVE).first() or grants.order_by("-created_at").first()
    if grant is not None:
        grant.scene = scene  # its effective caps fall back to the scene's rule
    return GateFacts(
        scene=facts, program_known=True, released=releases.get(Version.Status.RELEASED),
        phased=releases.get(Version.Status.PHASED), grant=_grant_facts(grant) if grant else None,
        ineligible=refusal.code if refusal else "",
    )


# ---------------------------------------------------------------- placements


@dataclass(frozen=True)
class Card:
    """One program card a host may show, with the window in which it may (placement ∩ grant)."""

    appid: str
    name: str
    logo: str
    title: str
    landing_page: str
    starts_at: datetime | None
    ends_at: datetime | None

    def showing_at(self, now: datetime) -> bool:
        return (self.starts_at is None or self.starts_at <= now) and (self.ends_at is None or now < self.ends_at)


def placement_cards(*, scene: SceneFacts, account: str | None, topic: str | None) -> list[Card]:
    """Every card bound to this account or topic in `scene` by an active grant, whatever the time;
    the caller keeps those `showing_at` now. Cached in the shared cache under the generation."""
    generation = _generation.current()
    key = (generation, scene.code, account, topic)

    def shared():
        which = hashlib.sha256(f"{'account' if account is not None else 'topic'}:{account or topic}".encode()).hexdigest()
        cache_key = f"placements:{generation}:{scene.code}:{which[:32]}"
        cards = cache.get(cache_key)
        if cards is None:
            cards = _load_cards(scene, account=account, topic=topic)
            cache.set(cache_key, cards, timeout=settings.PLACEMENTS_CACHE_SECONDS)
        return cards

    return _placements_memo.get(key, shared)


def _released_for_host(program: MiniProgram, host_code: str) -> bool:
    released = [v for v in program.versions.all() if v.status == Version.Status.RELEASED]
    return bool(released) and (not released[0].approved_hosts or host_code in released[0].approved_hosts)


def _load_cards(scene: SceneFacts, *, account: str | None, topic: str | None) -> list[Card]:
    from django.db.models import Prefetch

    rows = Placement.objects.filter(grant__scene_id=scene.id, grant__status=Grant.Status.ACTIVE)
    rows = rows.filter(account_uid=account) if account is not None else rows.filter(topic=topic)
    rows = rows.filter(grant__valid_until__gt=timezone.now()).select_related("grant__program").prefetch_related(
        Prefetch("grant__program__versions", queryset=Version.objects.filter(status=Version.Status.RELEASED)))
    cards = []
    for placement in rows.order_by("starts_at", "id"):
        program = placement.grant.program
        if program.deleted_at is not None or not _released_for_host(program, scene.host_code):
            continue
        logo = program.logo_small or program.logo
        starts, ends = placement.window
        cards.append(Card(appid=program.appid, name=program.name, logo=logo.url if logo else "",
                          title=placement.title or placement.account_name, landing_page=placement.landing_page,
                          starts_at=starts, ends_at=ends))
    return cards
