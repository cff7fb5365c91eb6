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
from operator import itemgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

from hosts import fields as host_fields
from stats.models import EventType

EVENT_TYPES = frozenset(EventType.values)
EVENT_ID = SHARE_ID = host_fields.ID  # matched whole (fullmatch)
MAX_USER_LENGTH = host_fields.MAX_USER_LENGTH
MAX_PAGE_LENGTH = host_fields.MAX_PAGE_LENGTH
MAX_PAGE_VIEWS = 10_000
MAX_STAY_SECONDS = 24 * 3600
MAX_AMOUNT = Decimal("10000000")
AMOUNT_TEXT = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?")  # an amount sent as a string: plain digits


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
    # appids released (or phased) and approved for this host: None when live there now, else the moment
    # (within the late window) that they stopped being live there; later events are refused
    on_host: dict[str, datetime | None]
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


class Event(NamedTuple):
    """An accepted event as the drain stores it: the dict `validate_event` returns, field for field."""

    key: str  # "<host>:<event id>"
    host: str
    scene: str
    program_id: int
    type: str
    user_hash: str
    occurred_at: str  # ISO 8601 with its offset
    day: str  # ISO date in STATS_TIME_ZONE
    page: str
    page_views: int
    stay_seconds: int
    share_id: str
    parent_share_id: str
    amount: str  # yuan, two decimals


_event_values = itemgetter(*Event._fields)


def events_message(events: list[dict]) -> dict:
    """Accepted events as the drain task's argument: the field names once, then a list per event.

    Rows rather than objects: a tenth of the JSON work of a 1,000-event batch (the task message is
    JSON, and Celery's decoder calls back into Python for every object).
    """
    return {"fields": list(Event._fields), "rows": [_event_values(e) for e in events]}


def events_from_message(message: dict | list) -> list[Event]:
    if isinstance(message, list):  # a list of dicts: queued before the message had rows
        return [Event(**e) for e in message]
    if tuple(message["fields"]) == Event._fields:
        return list(map(Event._make, message["rows"]))
    return [Event(**dict(zip(message["fields"], row, strict=True))) for row in message["rows"]]


@dataclass
class Validated:
    accepted: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)


def user_hash(hash_key: bytes, host: str, user: str) -> str:
    """A keyed hash of the host user id: stable per host, useless without the key."""
    return hmac.digest(hash_key, f"{host}\n{user}".encode(), "sha256").hex()[:32]


class UserHasher:
    """`user_hash` for many users under one key: HMAC-SHA256 with the key's two padded blocks hashed once
    (RFC 2104), a third of the cost per user."""

    def __init__(self, hash_key: bytes, host: str):
        if len(hash_key) > 64:  # SHA-256's block size
            hash_key = hashlib.sha256(hash_key).digest()
        block = hash_key.ljust(64, b"\0")
        self.inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.prefix = f"{host}\n"

    def __call__(self, user: str) -> str:
        inner, outer = self.inner.copy(), self.outer.copy()
        inner.update((self.prefix + user).encode())
        outer.update(inner.digest())
        return outer.hexdigest()[:32]


def validate_batch(events: list, ctx: IngestContext) -> Validated:
    """Each event through the fast check; the few it does not accept go through `validate_event` for their reason."""
    result = Validated()
    accept = _FastCheck(ctx)
    for index, raw in enumerate(events):
        event = accept(raw)
        if event is not None:
            result.accepted.append(event)
            continue
        try:
            result.accepted.append(validate_event(raw, ctx))  # the fast check is stricter only by mistake
        except Refusal as refusal:
            result.rejected.append(refusal.as_dict(index))
    return result


class _FastCheck:
    """`validate_event` for the events it accepts, without a call per field (a batch is 1,000 events).

    Accepts exactly what `validate_event` accepts and builds the same dict; anything else returns
    None, and `validate_event` says why (tests/test_ingest.py compares the two on every refusal).
    Lookups are precomputed per batch: the programs that may post here, the scenes, the hashes of
    the users seen so far.
    """

    def __init__(self, ctx: IngestContext):
        self.host = ctx.host
        self.programs = {appid: pk for appid, pk in ctx.programs.items() if appid in ctx.on_host}
        self.gone_at = {appid: until for appid, until in ctx.on_host.items() if until is not None}
        self.scenes = ctx.scenes
        self.earliest = ctx.now - timedelta(days=ctx.late_days)
        self.latest = ctx.now + timedelta(seconds=ctx.future_skew_seconds)
        self.time_zone = ctx.time_zone
        self.user_hash = UserHasher(ctx.hash_key, ctx.host)
        self.hashes: dict[str, str] = {}

    def __call__(self, raw) -> dict | None:  # noqa: C901 - one flat pass is the point
        if type(raw) is not dict:
            return None
        get = raw.get
        event_id, kind, appid, scene, user, moment = (
            get("id"), get("type"), get("appid"), get("scene"), get("user"), get("time"))
        if not (type(event_id) is str and len(event_id) <= 64 and EVENT_ID.fullmatch(event_id)):
            return None
        fields = _FAST_TYPE_FIELDS.get(kind) if type(kind) is str else None
        program_id = self.programs.get(appid) if type(appid) is str else None
        if fields is None or program_id is None or len(appid) > 40 or not appid.strip():
            return None
        if type(scene) is not str or scene not in self.scenes or len(scene) > 60 or not scene.strip():
            return None
        if type(user) is not str or len(user) > MAX_USER_LENGTH or not user.strip() or not host_fields.is_text(user):
            return None
        if type(moment) is not str:
            return None
        try:
            occurred_at = datetime.fromisoformat(moment)
            if occurred_at.tzinfo is None or not self.earliest <= occurred_at <= self.latest:
                return None
        except ValueError:
            return None
        if self.gone_at and appid in self.gone_at and occurred_at > self.gone_at[appid]:
            return None
        extra = fields(raw)
        if extra is None:
            return None
        hashed = self.hashes.get(user)
        if hashed is None:
            hashed = self.hashes[user] = self.user_hash(user)
        event = {
            "key": f"{self.host}:{event_id}", "host": self.host, "scene": scene, "program_id": program_id,
            "type": kind, "user_hash": hashed, "occurred_at": occurred_at.isoformat(),
            "day": occurred_at.astimezone(self.time_zone).date().isoformat(),
            "page": "", "page_views": 0, "stay_seconds": 0, "share_id": "", "parent_share_id": "", "amount": "0",
        }
        event.update(extra)
        return event


def _fast_int(value, low: int, high: int) -> bool:
    return type(value) is int and low <= value <= high


def _fast_share_id(value) -> bool:
    return type(value) is str and len(value) <= 64 and SHARE_ID.fullmatch(value) is not None


def _fast_visit(raw: dict) -> dict | None:
    page, views, stay = raw.get("page"), raw.get("page_views", 1), raw.get("stay_seconds", 0)
    if page is None:
        page = ""
    elif type(page) is not str or len(page) > MAX_PAGE_LENGTH or not page.strip() or not host_fields.is_text(page):
        return None
    if not (_fast_int(views, 1, MAX_PAGE_VIEWS) and _fast_int(stay, 0, MAX_STAY_SECONDS)):
        return None
    return {"page": page, "page_views": views, "stay_seconds": stay}


def _fast_share(raw: dict) -> dict | None:
    share_id, parent = raw.get("share_id"), raw.get("parent_share_id")
    if parent is None:
        parent = ""
    elif not _fast_share_id(parent) or parent == share_id:
        return None
    return {"share_id": share_id, "parent_share_id": parent} if _fast_share_id(share_id) else None


def _fast_share_open(raw: dict) -> dict | None:
    share_id = raw.get("share_id")
    return {"share_id": share_id} if _fast_share_id(share_id) else None


def _fast_new_user(raw: dict) -> dict | None:
    share_id = raw.get("share_id")
    if share_id is None:
        return {"share_id": ""}
    return {"share_id": share_id} if _fast_share_id(share_id) else None


def _fast_payment(raw: dict) -> dict | None:
    try:
        return _payment_fields(raw)
    except Refusal:
        return None


_FAST_TYPE_FIELDS = {
    "visit": _fast_visit, "share": _fast_share, "share_open": _fast_share_open, "new_user": _fast_new_user,
    "payment": _fast_payment,
}


def validate_event(raw, ctx: IngestContext) -> dict:
    if not isinstance(raw, dict):
        raise Refusal(Reason.NOT_AN_OBJECT, message="Each event must be a JSON object.")
    event_id = _string(raw, "id", pattern=EVENT_ID)
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise Refusal(Reason.UNKNOWN_TYPE, "type", f"type must be one of {', '.join(EventType.values)}.")
    program_id = _program(raw, ctx)
    scene = _string(raw, "scene", max_length=60)
    if scene not in ctx.scenes:
        raise Refusal(Reason.UNKNOWN_SCENE, "scene", f"{ctx.host} has no scene {scene!r}.")
    user = _string(raw, "user", max_length=MAX_USER_LENGTH)
    occurred_at = _time(raw, ctx)
    _on_host_then(raw["appid"], occurred_at, ctx)
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


def _on_host_then(appid: str, occurred_at: datetime, ctx: IngestContext) -> None:
    gone_at = ctx.on_host[appid]
    if gone_at is not None and occurred_at > gone_at:
        raise Refusal(Reason.PROGRAM_NOT_ON_HOST, "appid",
                      f"{appid} is not released on {ctx.host} since {gone_at.isoformat()}.")


def _string(raw: dict, name: str, *, max_length: int = 64, pattern: re.Pattern | None = None,
            required: bool = True) -> str:
    value = raw.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise Refusal(Reason.BAD_FIELD, name, f"{name} must be a non-empty string.")
    if len(value) > max_length:
        raise Refusal(Reason.BAD_FIELD, name, f"{name} must be at most {max_length} characters.")
    if pattern is not None and not pattern.fullmatch(value):
        raise Refusal(Reason.BAD_FIELD, name, f"{name} may hold only {host_fields.ID_RULE}.")
    if not host_fields.is_text(value):
        raise Refusal(Reason.BAD_FIELD, name, f"{name} must not hold control characters.")
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
        raise Refusal(Reason.TIME_IN_FUTURE, "time", f"time is more than {ctx.future_skew_seconds} seconds ahead of "
                                                      f"the console's clock; check the host's clock.")
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
    if isinstance(value, str) and not AMOUNT_TEXT.fullmatch(value):
        value = None  # Decimal() would also read "5_000", " 5 ", "1e3" and other scripts' digits
    try:
        amount = Decimal(str(value)) if isinstance(value, int | float | str) and not isinstance(value, bool) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not Decimal("0") < amount <= MAX_AMOUNT \
            or amount != amount.quantize(Decimal("0.01")):
        # Says what a string may hold: "1e3" is a positive number with no decimals, and was refused as if it were not.
        raise Refusal(Reason.BAD_FIELD, "amount",
                      f"amount must be a positive number of yuan, at most {MAX_AMOUNT}, with at most 2 decimals: a "
                      f"JSON number (19.9), or a string of plain digits (\"19.90\").")
    return {"amount": str(amount.quantize(Decimal("0.01")))}


TYPE_FIELDS = {
    EventType.VISIT: _visit_fields,
    EventType.SHARE: _share_fields,
    EventType.SHARE_OPEN: _share_open_fields,
    EventType.NEW_USER: _new_user_fields,
    EventType.PAYMENT: _payment_fields,
}
