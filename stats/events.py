"""Validation of the events hosts post (SPEC §9 "Events"), each on its own.

Pure functions over a batch and an `IngestContext` (what the database knows about the host's
programs and scenes, read once per batch): a bad event is refused with its index and a stable
reason, and never spoils the others. Accepted events come out normalised and JSON-ready, with the
host user id replaced by its keyed hash and the day cut in the platform's time zone.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from stats.models import EventType

EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")
SHARE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}$")
MAX_USER_LENGTH = 128
MAX_PAGE_LENGTH = 200
MAX_PAGE_VIEWS = 10_000
MAX_STAY_SECONDS = 24 * 3600
MAX_AMOUNT = Decimal("10000000")


class Reason:
    """Why an event was refused: stable codes integrators can rely on."""

    NOT_AN_OBJECT = "not_an_object"
    BAD_FIELD = "bad_field"
    UNKNOWN_TYPE = "unknown_type"
    UNKNOWN_PROGRAM = "unknown_program"
    PROGRAM_NOT_ON_HOST = "program_not_on_host"
    UNKNOWN_SCENE = "unknown_scene"
    TIME_IN_FUTURE = "time_in_future"
    TOO_LATE = "too_late"


@dataclass(frozen=True)
class IngestContext:
    host: str
    programs: dict[str, int]  # appid -> program id, for every program that exists
    on_host: frozenset[str]  # appids released (or phased) and approved for this host
    scenes: frozenset[str]  # scene codes of this host
    now: datetime
    hash_key: bytes
    time_zone: ZoneInfo
    late_days: int = 7
    future_skew_seconds: int = 300


@dataclass
class Refusal(Exception):
    reason: str
    field: str = ""
    message: str = ""

    def as_dict(self, index: int) -> dict:
        refusal = {"index": index, "reason": self.reason, "message": self.message}
        if self.field:
            refusal["field"] = self.field
        return refusal


@dataclass
class Validated:
    accepted: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def user_hash(hash_key: bytes, host: str, user: str) -> str:
    """A keyed hash of the host user id: stable per host, useless without the key."""
    return hmac.new(hash_key, f"{host}\n{user}".encode(), hashlib.sha256).hexdigest()[:32]


def validate_batch(events: list, ctx: IngestContext) -> Validated:
    result = Validated()
    for index, raw in enumerate(events):
        try:
            result.accepted.append(validate_event(raw, ctx))
        except Refusal as refusal:
            result.rejected.append(refusal.as_dict(index))
    return result


def validate_event(raw, ctx: IngestContext) -> dict:
    if not isinstance(raw, dict):
        raise Refusal(Reason.NOT_AN_OBJECT, message="Each event must be a JSON object.")
    event_id = _string(raw, "id", pattern=EVENT_ID)
    kind = raw.get("type")
    if kind not in EventType.values:
        raise Refusal(Reason.UNKNOWN_TYPE, "type", f"type must be one of {', '.join(EventType.values)}.")
    program_id = _program(raw, ctx)
    scene = _string(raw, "scene", max_length=60)
    if scene not in ctx.scenes:
        raise Refusal(Reason.UNKNOWN_SCENE, "scene", f"{ctx.host} has no scene {scene!r}.")
    user = _string(raw, "user", max_length=MAX_USER_LENGTH)
    occurred_at = _time(raw, ctx)
    event = {
        "key": f"{ctx.host}:{event_id}", "host": ctx.host, "scene": scene, "program_id": program_id,
        "type": kind, "user_hash": user_hash(ctx.hash_key, ctx.host, user),
        "occurred_at": occurred_at.isoformat(), "day": occurred_at.astimezone(ctx.time_zone).date().isoformat(),
        "page": "", "page_views": 0, "stay_seconds": 0, "share_id": "", "parent_share_id": "", "amount": "0",
    }
    event.update(TYPE_FIELDS[kind](raw))
    return event


def _program(raw: dict, ctx: IngestContext) -> int:
    appid = _string(raw, "appid", max_length=40)
    if appid not in ctx.programs:
        raise Refusal(Reason.UNKNOWN_PROGRAM, "appid", f"No program has the AppID {appid!r}.")
    if appid not in ctx.on_host:
        raise Refusal(Reason.PROGRAM_NOT_ON_HOST, "appid", f"{appid} is not released on {ctx.host}.")
    return ctx.programs[appid]


def _string(raw: dict, name: str, *, max_length: int = 64, pattern: re.Pattern | None = None,
            required: bool = True) -> str:
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Refusal(Reason.BAD_FIELD, name, f"{name} must be a non-empty string.")
    if len(value) > max_length:
        raise Refusal(Reason.BAD_FIELD, name, f"{name} must be at most {max_length} characters.")
    if pattern is not None and not pattern.match(value):
        raise Refusal(Reason.BAD_FIELD, name, f"{name} may hold only letters, digits and . _ : -")
    return value


def _integer(raw: dict, name: str, *, low: int, high: int, default: int) -> int:
    value = raw.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Refusal(Reason.BAD_FIELD, name, f"{name} must be an integer from {low} to {high}.")
    return value


def _time(raw: dict, ctx: IngestContext) -> datetime:
    value = raw.get("time")
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise Refusal(Reason.BAD_FIELD, "time", "time must be ISO 8601 with a time zone, e.g. 2026-11-30T10:00:00+08:00.")
    if parsed > ctx.now + timedelta(seconds=ctx.future_skew_seconds):
        raise Refusal(Reason.TIME_IN_FUTURE, "time", "time is in the future.")
    if parsed < ctx.now - timedelta(days=ctx.late_days):
        raise Refusal(Reason.TOO_LATE, "time", f"Events more than {ctx.late_days} days old are not accepted.")
    return parsed


def _visit_fields(raw: dict) -> dict:
    return {
        "page": _string(raw, "page", max_length=MAX_PAGE_LENGTH, required=False),
        "page_views": _integer(raw, "page_views", low=1, high=MAX_PAGE_VIEWS, default=1),
        "stay_seconds": _integer(raw, "stay_seconds", low=0, high=MAX_STAY_SECONDS, default=0),
    }


def _share_fields(raw: dict) -> dict:
    share_id = _string(raw, "share_id", pattern=SHARE_ID)
    parent = _string(raw, "parent_share_id", pattern=SHARE_ID, required=False)
    if parent == share_id:
        raise Refusal(Reason.BAD_FIELD, "parent_share_id", "A share cannot be its own parent.")
    return {"share_id": share_id, "parent_share_id": parent}


def _share_open_fields(raw: dict) -> dict:
    return {"share_id": _string(raw, "share_id", pattern=SHARE_ID)}


def _new_user_fields(raw: dict) -> dict:
    return {"share_id": _string(raw, "share_id", pattern=SHARE_ID, required=False)}


def _payment_fields(raw: dict) -> dict:
    value = raw.get("amount")
    try:
        amount = Decimal(str(value)) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not Decimal("0") < amount <= MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01")):
        raise Refusal(Reason.BAD_FIELD, "amount", "amount must be a positive number of yuan with at most 2 decimals.")
    return {"amount": str(amount.quantize(Decimal("0.01")))}


TYPE_FIELDS = {
    EventType.VISIT: _visit_fields,
    EventType.SHARE: _share_fields,
    EventType.SHARE_OPEN: _share_open_fields,
    EventType.NEW_USER: _new_user_fields,
    EventType.PAYMENT: _payment_fields,
}
