"""The share gate: "may host user U share program P into scene S now?" (SPEC §6, issue 7 item 6).

`decide` is a pure function of cached facts (`distribution.host_facts`): scene active, program released
and approved for the host (a user outside a phased release gets the previous release), the developer-side
eligibility rule (`distribution.eligibility`: verified organisation, categories), grant valid (or
the scene open), rollout by a stable hash of the host user. What it cannot know alone, the caps, it
hands to the runtime store as limits, and `share_check` asks the store in one atomic step that checks
them, consumes them only when all allow, records the answer for the stats and remembers it for a replay.
No database write happens in the request.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from distribution.eligibility import Reason as Eligibility
from distribution.host_facts import GateFacts, gate_facts
from hosts.authentication import nonce_ttl
from hosts.runtime import Quota, Verdict, Window, host_store
from programs.releases import rollout_bucket

ANSWERS_LOG = "gate-answers"


class GateReason(models.TextChoices):
    """Stable reason codes: hosts code against them (docs/host-api.md lists them)."""

    ALLOWED = "allowed", _("Allowed.")
    SCENE_UNKNOWN = "scene_unknown", _("The host has no scene with this code.")
    SCENE_PAUSED = "scene_paused", _("The scene is paused by the platform's operators.")
    PROGRAM_UNKNOWN = "program_unknown", _("No live mini-program has this AppID.")
    NOT_RELEASED = "not_released", _("No version of the program is released (to this user).")
    NOT_APPROVED_FOR_HOST = "not_approved_for_host", _("The version this user gets is not approved for this host.")
    ORG_NOT_VERIFIED = Eligibility.ORG_NOT_VERIFIED.value, _("The scene needs a verified organisation.")
    CATEGORY_NOT_ALLOWED = Eligibility.CATEGORY_NOT_ALLOWED.value, _("A category of the program is not allowed in "
                                                                     "the scene.")
    NOT_SERVICE_TYPE = Eligibility.NOT_SERVICE_TYPE.value, _("The scene takes service-type categories only.")
    NOT_WHITELISTED = "not_whitelisted", _("The scene needs a whitelist grant the program does not have.")
    GRANT_EXPIRED = "grant_expired", _("The program's grant for this scene has expired.")
    OUTSIDE_ROLLOUT = "outside_rollout", _("The user is outside the grant's rollout percentage.")
    SHARE_CAP = "share_cap", _("This user reached the program's share cap in this scene; see retry_after.")
    DAILY_CAP = "daily_cap", _("The program reached its daily cap in this scene; see retry_after.")


R = GateReason


@dataclass(frozen=True)
class Decision:
    """Either a refusal known from the facts, or the limits the store must still allow."""

    refuse: str | None = None
    limits: list = field(default_factory=list)


def user_digest(user: str) -> str:
    """A keyed hash of the host user: counters and recorded answers never hold the raw id."""
    return hashlib.blake2b(user.encode(), key=settings.SECRET_KEY.encode()[:64], digest_size=12).hexdigest()


def _version_for(facts: GateFacts, appid: str, user: str):
    phased = facts.phased
    if phased is not None and rollout_bucket(appid, user) < (phased.percentage or 0):
        return phased
    return facts.released


def _grant_refusal(facts: GateFacts, now: float) -> str | None:
    grant = facts.grant
    if grant is None or grant.status not in ("active", "expired"):
        return R.NOT_WHITELISTED
    if grant.status == "expired" or now >= grant.valid_until:
        return R.GRANT_EXPIRED
    return R.NOT_WHITELISTED if now < grant.valid_from else None


def _usable_grant(facts: GateFacts, now: float):
    grant = facts.grant
    if grant is not None and grant.status == "active" and grant.valid_from <= now < grant.valid_until:
        return grant
    return None


def _seconds_to_midnight(now: float) -> tuple[str, float]:
    local = timezone.localtime(datetime.fromtimestamp(now, UTC))
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return local.strftime("%Y%m%d"), (midnight - local).total_seconds()


# The daily quota of a program without a cap: never reached (and exact in Lua's doubles).
UNCAPPED = 10**15


def _limits(facts: GateFacts, rule, *, appid: str, user_key: str, now: float) -> Decision:
    scene = facts.scene.code
    limits: list = []
    if rule.share_cap is not None:
        if rule.share_cap == 0:
            return Decision(refuse=R.SHARE_CAP)
        limits.append(Window(R.SHARE_CAP, f"share:{scene}:{appid}:{user_key}", rule.share_cap, rule.share_window))
    if rule.daily_cap == 0:
        return Decision(refuse=R.DAILY_CAP)
    # The day's shares are counted with or without a cap: a cap an operator sets at noon counts the
    # morning's (it counted only from then, and a cap of 3 let 9 through on its first day).
    day, left = _seconds_to_midnight(now)
    cap = UNCAPPED if rule.daily_cap is None else rule.daily_cap
    limits.append(Quota(R.DAILY_CAP, f"daily:{scene}:{appid}:{day}", cap, left))
    return Decision(limits=limits)


def decide(facts: GateFacts, *, host_code: str, appid: str, user: str, user_key: str, now: float) -> Decision:
    """The gate's rules over the facts, in the order a host would want to read the reason."""
    if facts.scene is None or facts.scene.host_code != host_code:
        return Decision(refuse=R.SCENE_UNKNOWN)
    if not facts.scene.active:
        return Decision(refuse=R.SCENE_PAUSED)
    if not facts.program_known:
        return Decision(refuse=R.PROGRAM_UNKNOWN)
    version = _version_for(facts, appid, user)
    if version is None:
        return Decision(refuse=R.NOT_RELEASED)
    if version.approved_hosts and host_code not in version.approved_hosts:
        return Decision(refuse=R.NOT_APPROVED_FOR_HOST)
    if facts.ineligible:  # the Distribution page's rule: a grant does not outlive it
        return Decision(refuse=facts.ineligible)
    grant = _usable_grant(facts, now)
    if facts.scene.needs_whitelist and grant is None:
        return Decision(refuse=_grant_refusal(facts, now))
    rule = grant or facts.scene
    if rule.rollout_percent < 100 and rollout_bucket(appid, f"{facts.scene.code}:{user}") >= rule.rollout_percent:
        return Decision(refuse=R.OUTSIDE_ROLLOUT)
    return _limits(facts, rule, appid=appid, user_key=user_key, now=now)


def share_check(
    *, host_code: str, appid: str, scene: str, user: str, share_id: str = "", page: str = "",
    nonce: str | None = None, rate: Quota | None = None, now: float | None = None,
) -> Verdict:
    """Decide, count and record one share check in one atomic step of the runtime store.

    With a `nonce` (the signed call's), the same step admits the call: counts it against `rate` and
    claims the nonce. `Verdict.stopped` then tells a call over the rate limit or a replay (whose first
    answer it carries); otherwise `Verdict.answer()` is `{"allow", "reason", "retry_after"}`.
    """
    now = time.time() if now is None else now
    user_key = user_digest(user)
    decision = decide(gate_facts(host_code, scene, appid), host_code=host_code, appid=appid, user=user,
                      user_key=user_key, now=now)
    record = {"time": datetime.fromtimestamp(now, UTC).isoformat(), "host": host_code, "scene": scene,
              "appid": appid, "user": user_key, "share_id": share_id, "page": page}
    return host_store().attempt(
        limits=decision.limits, refuse=decision.refuse, allow_reason=R.ALLOWED, record=record, log=ANSWERS_LOG,
        log_max=settings.GATE_ANSWERS_MAX, nonce=nonce, nonce_ttl=nonce_ttl(), now=now, claim=nonce is not None,
        rate=rate,
    )


def gate_answers_take(max_items: int) -> tuple[str, list[dict]]:
    """Take up to `max_items` of the oldest recorded answers, oldest first, under a token (the stats app calls this).

    Each is `{"time" (ISO 8601, UTC), "host", "scene", "appid", "user" (keyed hash), "share_id", "page",
    "allow", "reason", "retry_after"}`. Until `gate_answers_done(token)`, the next take returns the same
    token and answers (see `hosts.runtime.Store.take`), so a consumer that stops midway loses nothing; it
    records the token with its counts to count a batch once. At most GATE_ANSWERS_MAX wait in the log;
    past that the oldest are dropped. ("", []) when none wait.
    """
    return host_store().take(ANSWERS_LOG, max_items)


def gate_answers_done(token: str) -> None:
    host_store().done(ANSWERS_LOG, token)


def gate_answers_drain(max_items: int) -> list[dict]:
    """Take and forget at once (tests)."""
    return host_store().drain(ANSWERS_LOG, max_items)
