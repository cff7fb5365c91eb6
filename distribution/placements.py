"""What a grant binds the program to, by scene: named accounts, topics with a window, lottery campaigns.

`clean_placements` checks the rows an operator typed (page or API) against the scene's placement
kind and returns the fields to store; nothing else decides what a valid placement is.
"""

import re
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from hosts.models import Scene

MAX_PLACEMENTS = 20
ACCOUNT_UID_RE = re.compile(r"^[0-9A-Za-z_-]{1,40}\Z")
TOPIC_RE = re.compile(r"^[^\s<>]{1,120}\Z")
# A page path inside the program ("pages/claim/index?from=lottery"), never a URL or a way out of it.
PAGE_RE = re.compile(r"^/?[A-Za-z0-9_-]+(/[A-Za-z0-9_.-]+)*(\?[A-Za-z0-9_.=&%-]*)?\Z")
K = Scene.PlacementKind


def _text(row: dict, name: str, limit: int) -> str:
    return str(row.get(name) or "").strip()[:limit]


def _moment(value) -> datetime | None:
    """A datetime from the API (ISO 8601) or a form's datetime-local field (naive: the console's time zone)."""
    if value is not None and not isinstance(value, datetime):
        try:
            value = parse_datetime(str(value).strip()) if str(value).strip() else None
        except ValueError:
            value = None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _account(row: dict, index: int) -> dict:
    uid, name = _text(row, "account_uid", 40), _text(row, "account_name", 80)
    if not ACCOUNT_UID_RE.match(uid):
        raise _error(index, _("Give the Weibo account's uid (letters, digits, _ or -)."))
    if not name:
        raise _error(index, _("Give the account's display name."))
    return {"account_uid": uid, "account_name": name}


def _windowed(row: dict, index: int, kind: str) -> dict:
    topic, title, page = _text(row, "topic", 120), _text(row, "title", 120), _text(row, "landing_page", 200)
    starts, ends = _moment(row.get("starts_at")), _moment(row.get("ends_at"))
    if not TOPIC_RE.match(topic):
        raise _error(index, _("Give the topic or campaign id (no spaces).") if kind == K.TOPIC
                     else _("Give the lottery campaign id (no spaces)."))
    if starts is None or ends is None:
        raise _error(index, _("Give the start and the end of the window."))
    if ends <= starts:
        raise _error(index, _("The window must end after it starts."))
    if not PAGE_RE.match(page) or ".." in page:
        raise _error(index, _("Give a page path inside the program, e.g. pages/claim/index."))
    return {"topic": topic, "title": title or topic, "starts_at": starts, "ends_at": ends, "landing_page": page}


def _error(index: int, message: str) -> ValidationError:
    return ValidationError({"placements": _("Row %(n)d: %(message)s") % {"n": index + 1, "message": message}})


def clean_placements(scene: Scene, rows: list[dict]) -> list[dict]:
    """Checked placement fields for `scene`; at least one when the scene binds grants to placements."""
    kind = scene.placement_kind
    rows = [row for row in rows if any(str(v or "").strip() for v in row.values())]  # blank form rows
    if not kind:
        if rows:
            raise ValidationError({"placements": _("This scene takes no placements.")})
        return []
    if not rows:
        raise ValidationError({"placements": {
            K.ACCOUNT: _("Name at least one Weibo account whose profile shows the card."),
            K.TOPIC: _("Name at least one topic with its time window and landing page."),
            K.LOTTERY: _("Name at least one lottery campaign with its window and claim page."),
        }[kind]})
    if len(rows) > MAX_PLACEMENTS:
        raise ValidationError({"placements": _("At most %(n)d placements per grant.") % {"n": MAX_PLACEMENTS}})
    cleaned = [_account(row, i) if kind == K.ACCOUNT else _windowed(row, i, kind) for i, row in enumerate(rows)]
    keys = [c.get("account_uid") or c.get("topic") for c in cleaned]
    if len(set(keys)) != len(keys):
        raise ValidationError({"placements": _("Each account, topic or campaign appears once.")})
    return cleaned
