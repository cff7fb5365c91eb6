"""Storing a batch of validated events: raw rows, then every rollup they touch, in one transaction.

Called by the ingest task with events that `stats.events` normalised. A batch that was stored
already (a retried task, a host that posted twice) changes nothing: `EventKey` admits each event
once, and only admitted events reach the rollups.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from stats import bitmaps, storage
from stats.events import Event
from stats.models import (
    EventType,
    Share,
    ShareChain,
    UserSet,
)

# Depth is stored in a small integer; deeper cascades stop growing there.
MAX_DEPTH = 30_000
# Which users each kind of set holds.
SET_KIND_OF_EVENT = {
    EventType.VISIT: UserSet.Kind.ACTIVE,
    EventType.SHARE: UserSet.Kind.SHARERS,
    EventType.NEW_USER: UserSet.Kind.NEW,
}


@transaction.atomic
def events_store(events: list[Event | dict]) -> int:
    """Store the events not stored before; returns how many were new."""
    events = [e if isinstance(e, Event) else Event(**e) for e in events]
    new_keys = storage.insert_new_event_keys(_unique_keys(events))
    fresh, seen = [], set()
    for event in events:
        if event.key in new_keys and event.key not in seen:
            seen.add(event.key)
            fresh.append(event)
    if not fresh:
        return 0
    storage.ensure_month_partitions({date.fromisoformat(day) for day in {e.day for e in fresh}})
    storage.stage_events(_stage_rows(fresh))
    storage.raw_events_from_stage(timezone.now())
    storage.daily_counters_from_stage()
    for program_id in sorted({e.program_id for e in fresh}):
        _program_rollups(program_id, [e for e in fresh if e.program_id == program_id])
    return len(fresh)


def _unique_keys(events: list[Event]) -> list[tuple[str, str]]:
    return list({e.key: (e.key, e.day) for e in events}.values())


def _raw_row(event: Event, received_at: datetime) -> tuple:
    return (
        event.key, event.host, event.scene, event.program_id, event.type, event.user_hash,
        datetime.fromisoformat(event.occurred_at), date.fromisoformat(event.day), event.page,
        event.page_views, event.stay_seconds, event.share_id, event.parent_share_id,
        Decimal(event.amount), received_at,
    )


def _stage_rows(events: list[Event]) -> list[tuple]:
    """Rows of `storage.STAGE_COLUMNS`. PostgreSQL's COPY parses the ISO text itself; SQLite stores the
    values as Django's adapters write them, the same as a row written through the ORM's cursor."""
    if storage.is_postgresql():
        return [
            (e.key, e.host, e.scene, e.program_id, e.type, e.user_hash, e.occurred_at, e.day,
             e.page, e.page_views, e.stay_seconds, e.share_id, e.parent_share_id, e.amount,
             _fen(e), seq)
            for seq, e in enumerate(events)
        ]
    return [(*_raw_row(e, None)[:-1], _fen(e), seq) for seq, e in enumerate(events)]


def _fen(event: Event) -> int:
    return int(Decimal(event.amount) * 100) if event.type == EventType.PAYMENT else 0


def _program_rollups(program_id: int, events: list[Event]) -> None:
    """Everything that needs the program's users: sets, distinct counts, shares. Serialised per program."""
    next_ordinal = _lock_program(program_id)
    _ordinals(program_id, next_ordinal)
    _update_user_sets(program_id)
    _store_shares(program_id, events)


def _lock_program(program_id: int) -> int:
    """Lock the program's drain state (creating it), so that its drains run one after the other; its next ordinal.

    An upsert that updates the row takes its lock, and on PostgreSQL waits for a drain holding it and
    then sees what that drain committed.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO stats_programstatsstate (program_id, next_ordinal) VALUES (%s, 0) ON CONFLICT (program_id) "
            "DO UPDATE SET next_ordinal = stats_programstatsstate.next_ordinal RETURNING next_ordinal",
            [program_id],
        )
        return cursor.fetchone()[0]


def _ordinals(program_id: int, next_ordinal: int) -> None:
    """Number the staged users the program has not seen, after the last, in the order they first appear.

    Each new user's first day is their earliest day in the batch.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO stats_statsuser (program_id, user_hash, ordinal, first_day) "
            f"SELECT program_id, user_hash, %s + ROW_NUMBER() OVER (ORDER BY MIN(seq)) - 1, MIN(day) "
            f"FROM {storage.STAGE_TABLE} AS staged WHERE program_id = %s AND NOT EXISTS ("
            f"SELECT 1 FROM stats_statsuser AS known WHERE known.program_id = %s AND known.user_hash = staged.user_hash) "
            f"GROUP BY program_id, user_hash",
            [next_ordinal, program_id, program_id],
        )
        created = cursor.rowcount
        if created:
            cursor.execute("UPDATE stats_programstatsstate SET next_ordinal = next_ordinal + %s WHERE program_id = %s",
                           [created, program_id])


def _update_user_sets(program_id: int) -> None:
    """Add the batch's users to the day's sets at every level; a few queries, whatever the batch."""
    kind_of = {str(event_type): str(kind) for event_type, kind in SET_KIND_OF_EVENT.items()}
    members: dict[tuple, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT staged.host, staged.scene, staged.day, staged.type, known.ordinal "
            f"FROM {storage.STAGE_TABLE} AS staged JOIN stats_statsuser AS known "
            f"ON known.program_id = staged.program_id AND known.user_hash = staged.user_hash "
            f"WHERE staged.program_id = %s AND staged.type IN ({', '.join(['%s'] * len(kind_of))})",
            [program_id, *kind_of],
        )
        for host, scene, day, event_type, ordinal in cursor.fetchall():
            day, kind = str(day), kind_of[event_type]
            members[(host, scene, day, kind)].add(ordinal)
            members[(host, "", day, kind)].add(ordinal)
            members[("", "", day, kind)].add(ordinal)
    if not members:
        return
    stored = _stored_user_sets(program_id, list(members))
    changed = {}
    for key, added in members.items():
        old_bits, old_count = stored.get(key, (b"", None))
        bits, count = bitmaps.with_bits(old_bits, added)
        if count != old_count:
            changed[key] = (bits, count)
    _write_user_sets(program_id, changed)
    _copy_scene_counts(program_id, {key: changed.get(key, stored.get(key))[1] for key in members if key[1]})


def _stored_user_sets(program_id: int, keys: list[tuple]) -> dict[tuple, tuple[bytes, int]]:
    """The bits and count of the sets `keys` (host, scene, day, kind) that exist."""
    found = {}
    with connection.cursor() as cursor:
        for chunk in storage.chunks(keys, 200):
            cursor.execute(
                f"SELECT host, scene, day, kind, bits, count FROM stats_userset WHERE program_id = %s "
                f"AND (host, scene, day, kind) IN (VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))})",
                [program_id, *(value for h, sc, d, k in chunk for value in (h, sc, date.fromisoformat(d), k))],
            )
            for host, scene, day, kind, bits, count in cursor.fetchall():
                found[(host, scene, str(day), kind)] = (bytes(bits), count)
    return found


def _write_user_sets(program_id: int, sets: dict[tuple, tuple[bytes, int]]) -> None:
    rows = [(program_id, host, scene, day, kind, bits, count) for (host, scene, day, kind), (bits, count) in sets.items()]
    with connection.cursor() as cursor:
        for chunk in storage.chunks(rows, 100):
            cursor.execute(
                f"INSERT INTO stats_userset (program_id, host, scene, day, kind, bits, count) "
                f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(chunk))} "
                f"ON CONFLICT (program_id, host, scene, day, kind) DO UPDATE SET bits = excluded.bits, count = excluded.count",
                [value for row in chunk for value in row],
            )


def _copy_scene_counts(program_id: int, counts: dict[tuple, int]) -> None:
    """Each scene's daily distinct visitors and sharers onto its DailyStats row."""
    field_of = {str(UserSet.Kind.ACTIVE): "unique_visitors", str(UserSet.Kind.SHARERS): "share_users"}
    updates: dict[str, list[tuple]] = defaultdict(list)
    for (host, scene, day, kind), count in counts.items():
        if kind in field_of:
            updates[field_of[kind]].append((count, program_id, host, scene, date.fromisoformat(day)))
    with connection.cursor() as cursor:
        for field, rows in updates.items():
            cursor.executemany(
                f"UPDATE stats_dailystats SET {field} = %s WHERE program_id = %s AND host = %s AND scene = %s AND day = %s",
                rows,
            )


def _store_shares(program_id: int, events: list[Event]) -> None:
    touched: set[str] = set()  # roots whose chain summary must be rewritten
    depth_deltas: dict[tuple, int] = defaultdict(int)
    shares = [e for e in events if e.type == EventType.SHARE]
    if shares:
        _insert_shares(program_id, shares, touched, depth_deltas)
    touched |= _count_on_shares(program_id, events, EventType.SHARE_OPEN, "opens")
    touched |= _count_on_shares(program_id, [e for e in events if e.share_id], EventType.NEW_USER, "new_users")
    _add_depth_deltas(program_id, depth_deltas)
    _rewrite_chains(program_id, touched)


def _insert_shares(program_id: int, shares: list[Event], touched: set[str], depth_deltas: dict) -> None:
    """New shares, placed under their parents; children that arrived before their parent are re-placed."""
    rows = {
        e.share_id: Share(
            program_id=program_id, host=e.host, scene=e.scene, share_id=e.share_id,
            parent_share_id=e.parent_share_id, user_hash=e.user_hash, day=e.day,
        )
        for e in shares
    }
    parent_ids = {r.parent_share_id for r in rows.values() if r.parent_share_id}
    stored = {
        sid: (depth, root)
        for sid, depth, root in Share.objects.filter(program_id=program_id, share_id__in=[*rows, *parent_ids])
        .values_list("share_id", "depth", "root_share_id")
    }
    rows = {sid: row for sid, row in rows.items() if sid not in stored}
    placed = {sid: stored[sid] for sid in parent_ids - set(rows) if sid in stored}  # parents stored before
    for row in _in_parent_order(rows):
        row.depth, row.root_share_id = _placement(row, placed)
        placed[row.share_id] = (row.depth, row.root_share_id)
        depth_deltas[(row.host, row.scene, str(row.day), row.depth)] += 1
        touched.add(row.root_share_id)
    Share.objects.bulk_create(rows.values(), ignore_conflicts=True)
    for child, old_depth, old_root in _replace_children(program_id, list(rows.values())):
        depth_deltas[(child.host, child.scene, str(child.day), old_depth)] -= 1
        depth_deltas[(child.host, child.scene, str(child.day), child.depth)] += 1
        touched |= {old_root, child.root_share_id}


def _in_parent_order(rows: dict[str, Share]) -> list[Share]:
    """Parents before their children within the batch (chains inside one batch are common); cycles are cut."""
    ordered, done = [], set()
    for row in rows.values():
        chain, in_chain, current = [], set(), row
        while current is not None and current.share_id not in done and current.share_id not in in_chain:
            chain.append(current)
            in_chain.add(current.share_id)
            current = rows.get(current.parent_share_id)
        for link in reversed(chain):
            done.add(link.share_id)
            ordered.append(link)
    return ordered


def _placement(row: Share, placed: dict[str, tuple[int, str]]) -> tuple[int, str]:
    if not row.parent_share_id:
        return 1, row.share_id
    if row.parent_share_id in placed:
        depth, root = placed[row.parent_share_id]
        return depth + 1, root
    # The parent has not arrived yet: at least depth 2, rooted at the parent until it does.
    return 2, row.parent_share_id


def _replace_children(program_id: int, new: list[Share]) -> list[tuple[Share, int, str]]:
    """Shares stored before their parent (now arrived) take the depth and root the parent gives them.

    `new`: the shares just stored, placed. Returns each moved share with its former depth and root.
    """
    frontier = new
    moved_once: dict[str, tuple[Share, int, str]] = {}  # a hostile cycle of parents would otherwise never settle
    while frontier:
        by_id = {s.share_id: s for s in frontier}
        children = list(Share.objects.filter(program_id=program_id, parent_share_id__in=list(by_id)))
        moved = []
        for child in children:
            parent = by_id[child.parent_share_id]
            depth, root = parent.depth + 1, parent.root_share_id
            if child.share_id in moved_once or depth > MAX_DEPTH:
                continue
            if (child.depth, child.root_share_id) != (depth, root):
                moved_once[child.share_id] = (child, child.depth, child.root_share_id)
                child.depth, child.root_share_id = depth, root
                moved.append(child)
        Share.objects.bulk_update(moved, ["depth", "root_share_id"])
        frontier = moved
    return list(moved_once.values())


def _count_on_shares(program_id: int, events: list[Event], kind: str, field: str) -> set[str]:
    """Add the staged opens or new users to the shares they came through; returns the roots of those shares."""
    if not any(e.type == kind and e.share_id for e in events):
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE stats_share SET {field} = stats_share.{field} + arrived.n "
            f"FROM (SELECT share_id, COUNT(*) AS n FROM {storage.STAGE_TABLE} "
            f"WHERE program_id = %s AND type = %s AND share_id <> '' GROUP BY share_id) AS arrived "
            f"WHERE stats_share.program_id = %s AND stats_share.share_id = arrived.share_id "
            f"RETURNING stats_share.root_share_id",
            [program_id, str(kind), program_id],
        )
        return {root for (root,) in cursor.fetchall()}


def _add_depth_deltas(program_id: int, deltas: dict[tuple, int]) -> None:
    rows = [(program_id, host, scene, date.fromisoformat(day), depth, delta)
            for (host, scene, day, depth), delta in deltas.items() if delta]
    with connection.cursor() as cursor:
        for chunk in storage.chunks(rows, 200):
            cursor.execute(
                f"INSERT INTO stats_sharedepthdaily (program_id, host, scene, day, depth, shares) "
                f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s)'] * len(chunk))} "
                f"ON CONFLICT (program_id, host, scene, day, depth) "
                f"DO UPDATE SET shares = stats_sharedepthdaily.shares + excluded.shares",
                [value for row in chunk for value in row],
            )


def _rewrite_chains(program_id: int, roots: set[str]) -> None:
    """Summarise each touched root's cascade from its shares; a lone share is no chain."""
    if not roots:
        return
    levels: dict[str, dict[int, list[int]]] = defaultdict(dict)
    members = (Share.objects.filter(program_id=program_id, root_share_id__in=list(roots))
               .values_list("root_share_id", "depth").annotate(n=Count("id"), opens=Sum("opens"), new=Sum("new_users")))
    for root, depth, n, opens, new in members:
        levels[root][depth] = [n, opens, new]
    chained = [root for root in roots if sum(n for n, _, _ in levels[root].values()) >= 2]
    firsts = _first_shares(program_id, chained)
    ShareChain.objects.filter(program_id=program_id, root_share_id__in=list(roots)).delete()
    ShareChain.objects.bulk_create([_chain(program_id, root, levels[root], firsts[root]) for root in chained])


def _first_shares(program_id: int, roots: list[str]) -> dict[str, Share]:
    """Per root, its earliest share: the root itself, or the first that arrived while the root is missing."""
    if not roots:
        return {}
    ranked = (Share.objects.filter(program_id=program_id, root_share_id__in=roots)
              .annotate(rank=Window(RowNumber(), partition_by=F("root_share_id"), order_by=["depth", "day", "id"])))
    return {share.root_share_id: share
            for share in ranked.filter(rank=1).only("root_share_id", "share_id", "host", "scene", "day", "user_hash")}


def _chain(program_id: int, root: str, levels: dict[int, list[int]], first: Share) -> ShareChain:
    ordered = sorted(levels.items())
    return ShareChain(
        program_id=program_id, root_share_id=root, host=first.host, scene=first.scene, day=first.day,
        root_user_hash=first.user_hash if first.share_id == root else "",
        size=sum(n for _, (n, _, _) in ordered), depth=ordered[-1][0],
        opens=sum(o for _, (_, o, _) in ordered), new_users=sum(u for _, (_, _, u) in ordered),
        levels=[{"depth": d, "shares": n, "opens": o, "new_users": u} for d, (n, o, u) in ordered],
    )
