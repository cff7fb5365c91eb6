"""Storing a batch of validated events: raw rows, then every rollup they touch, in one transaction.

Called by the ingest task with events that `stats.events` normalised. A batch that was stored
already (a retried task, a host that posted twice) changes nothing: `EventKey` admits each event
once, and only admitted events reach the rollups.
"""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from stats import bitmaps, storage
from stats.models import (
    DailyStats,
    EventType,
    ProgramStatsState,
    Share,
    ShareChain,
    ShareDepthDaily,
    StatsUser,
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
def events_store(events: list[dict]) -> int:
    """Store the events not stored before; returns how many were new."""
    new_keys = storage.insert_new_event_keys(_unique_keys(events))
    fresh, seen = [], set()
    for event in events:
        if event["key"] in new_keys and event["key"] not in seen:
            seen.add(event["key"])
            fresh.append(event)
    if not fresh:
        return 0
    received_at = timezone.now()
    storage.ensure_month_partitions({date.fromisoformat(e["day"]) for e in fresh})
    storage.write_raw_events([_raw_row(e, received_at) for e in fresh])
    storage.add_daily_counters(_daily_counters(fresh))
    for program_id in sorted({e["program_id"] for e in fresh}):
        _program_rollups(program_id, [e for e in fresh if e["program_id"] == program_id])
    return len(fresh)


def _unique_keys(events: list[dict]) -> list[tuple[str, str]]:
    return list({e["key"]: (e["key"], e["day"]) for e in events}.values())


def _raw_row(event: dict, received_at: datetime) -> tuple:
    return (
        event["key"], event["host"], event["scene"], event["program_id"], event["type"], event["user_hash"],
        datetime.fromisoformat(event["occurred_at"]), date.fromisoformat(event["day"]), event["page"],
        event["page_views"], event["stay_seconds"], event["share_id"], event["parent_share_id"],
        Decimal(event["amount"]), received_at,
    )


def _daily_counters(events: list[dict]) -> dict[tuple, dict]:
    rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(storage.DAILY_COUNTERS, 0))
    for e in events:
        counters = rows[(e["program_id"], e["host"], e["scene"], e["day"])]
        kind = e["type"]
        if kind == EventType.VISIT:
            counters["visits"] += 1
            counters["page_views"] += e["page_views"]
            counters["stay_seconds"] += e["stay_seconds"]
        elif kind == EventType.SHARE:
            counters["shares"] += 1
        elif kind == EventType.SHARE_OPEN:
            counters["share_opens"] += 1
        elif kind == EventType.NEW_USER:
            counters["new_users"] += 1
            counters["new_users_via_share"] += bool(e["share_id"])
        elif kind == EventType.PAYMENT:
            counters["payments"] += 1
            counters["revenue_fen"] += int(Decimal(e["amount"]) * 100)
    return rows


def _program_rollups(program_id: int, events: list[dict]) -> None:
    """Everything that needs the program's users: sets, distinct counts, shares. Serialised per program."""
    ProgramStatsState.objects.get_or_create(program_id=program_id)
    state = ProgramStatsState.objects.select_for_update().get(program_id=program_id)
    ordinals = _ordinals(state, program_id, events)
    _update_user_sets(program_id, events, ordinals)
    _store_shares(program_id, events)


def _ordinals(state: ProgramStatsState, program_id: int, events: list[dict]) -> dict[str, int]:
    """Ordinals of the batch's users, numbering the new ones after the last."""
    first_day: dict[str, str] = {}
    for e in events:
        first_day[e["user_hash"]] = min(first_day.get(e["user_hash"], e["day"]), e["day"])
    known = dict(
        StatsUser.objects.filter(program_id=program_id, user_hash__in=list(first_day))
        .values_list("user_hash", "ordinal")
    )
    new_users = [h for h in first_day if h not in known]
    created = [
        StatsUser(program_id=program_id, user_hash=h, ordinal=state.next_ordinal + i, first_day=first_day[h])
        for i, h in enumerate(new_users)
    ]
    StatsUser.objects.bulk_create(created)
    if created:
        state.next_ordinal += len(created)
        state.save(update_fields=["next_ordinal"])
    known.update({u.user_hash: u.ordinal for u in created})
    return known


def _update_user_sets(program_id: int, events: list[dict], ordinals: dict[str, int]) -> None:
    """Add the batch's users to the day's sets at every level; a few bulk queries, whatever the batch."""
    members: dict[tuple, set[int]] = defaultdict(set)
    for e in events:
        kind = SET_KIND_OF_EVENT.get(e["type"])
        if kind is None:
            continue
        ordinal = ordinals[e["user_hash"]]
        for host, scene in ((e["host"], e["scene"]), (e["host"], ""), ("", "")):
            members[(host, scene, e["day"], str(kind))].add(ordinal)
    if not members:
        return
    rows = {
        (r.host, r.scene, r.day.isoformat(), r.kind): r
        for r in UserSet.objects.filter(program_id=program_id, day__in={k[2] for k in members})
        .filter(kind__in={k[3] for k in members})
    }
    created, changed = [], []
    for key, added in members.items():
        row = rows.get(key)
        if row is None:
            row = UserSet(program_id=program_id, host=key[0], scene=key[1], day=key[2], kind=key[3])
            created.append(row)
        bits, count = bitmaps.with_bits(bytes(row.bits), added)
        if row in created or count != row.count:
            row.bits, row.count = bits, count
            if row.pk:
                changed.append(row)
        rows[key] = row
    UserSet.objects.bulk_create(created)
    UserSet.objects.bulk_update(changed, ["bits", "count"], batch_size=200)
    _copy_scene_counts(program_id, {k: r.count for k, r in rows.items() if k[1] and k in members})


def _copy_scene_counts(program_id: int, counts: dict[tuple, int]) -> None:
    """Each scene's daily distinct visitors and sharers onto its DailyStats row."""
    field_of = {UserSet.Kind.ACTIVE: "unique_visitors", UserSet.Kind.SHARERS: "share_users"}
    daily = {
        (r.host, r.scene, r.day.isoformat()): r
        for r in DailyStats.objects.filter(program_id=program_id, day__in={k[2] for k in counts})
    }
    changed = {}
    for (host, scene, day, kind), count in counts.items():
        field, row = field_of.get(kind), daily.get((host, scene, day))
        if field and row is not None:
            setattr(row, field, count)
            changed[row.pk] = row
    DailyStats.objects.bulk_update(changed.values(), ["unique_visitors", "share_users"], batch_size=200)


def _store_shares(program_id: int, events: list[dict]) -> None:
    touched: set[str] = set()  # roots whose chain summary must be rewritten
    depth_deltas: dict[tuple, int] = defaultdict(int)
    shares = [e for e in events if e["type"] == EventType.SHARE]
    if shares:
        _insert_shares(program_id, shares, touched, depth_deltas)
    touched |= _count_on_shares(program_id, events, EventType.SHARE_OPEN, "opens")
    touched |= _count_on_shares(program_id, [e for e in events if e["share_id"]], EventType.NEW_USER, "new_users")
    _add_depth_deltas(program_id, depth_deltas)
    _rewrite_chains(program_id, touched)


def _insert_shares(program_id: int, shares: list[dict], touched: set[str], depth_deltas: dict) -> None:
    """New shares, placed under their parents; children that arrived before their parent are re-placed."""
    rows = {
        e["share_id"]: Share(
            program_id=program_id, host=e["host"], scene=e["scene"], share_id=e["share_id"],
            parent_share_id=e["parent_share_id"], user_hash=e["user_hash"], day=e["day"],
        )
        for e in shares
    }
    existing = set(Share.objects.filter(program_id=program_id, share_id__in=list(rows)).values_list("share_id", flat=True))
    rows = {sid: row for sid, row in rows.items() if sid not in existing}
    placed = _parents(program_id, rows)
    for row in _in_parent_order(rows):
        row.depth, row.root_share_id = _placement(row, placed)
        placed[row.share_id] = (row.depth, row.root_share_id)
        depth_deltas[(row.host, row.scene, str(row.day), row.depth)] += 1
        touched.add(row.root_share_id)
    Share.objects.bulk_create(rows.values(), ignore_conflicts=True)
    for child, old_depth, old_root in _replace_children(program_id, list(rows)):
        depth_deltas[(child.host, child.scene, str(child.day), old_depth)] -= 1
        depth_deltas[(child.host, child.scene, str(child.day), child.depth)] += 1
        touched |= {old_root, child.root_share_id}


def _parents(program_id: int, rows: dict[str, Share]) -> dict[str, tuple[int, str]]:
    parent_ids = {r.parent_share_id for r in rows.values() if r.parent_share_id} - set(rows)
    return {
        sid: (depth, root)
        for sid, depth, root in Share.objects.filter(program_id=program_id, share_id__in=list(parent_ids))
        .values_list("share_id", "depth", "root_share_id")
    }


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


def _replace_children(program_id: int, new_ids: list[str]) -> list[tuple[Share, int, str]]:
    """Shares stored before their parent (now arrived) take the depth and root the parent gives them.

    Returns each moved share with its former depth and root.
    """
    frontier = list(Share.objects.filter(program_id=program_id, share_id__in=new_ids))
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


def _count_on_shares(program_id: int, events: list[dict], kind: str, field: str) -> set[str]:
    """Add opens or new users to the shares they came through; returns the roots of those shares."""
    counts: dict[str, int] = defaultdict(int)
    for e in events:
        if e["type"] == kind and e["share_id"]:
            counts[e["share_id"]] += 1
    if not counts:
        return set()
    shares = list(Share.objects.filter(program_id=program_id, share_id__in=list(counts)))
    for share in shares:
        setattr(share, field, getattr(share, field) + counts[share.share_id])
    Share.objects.bulk_update(shares, [field], batch_size=200)
    return {share.root_share_id for share in shares}


def _add_depth_deltas(program_id: int, deltas: dict[tuple, int]) -> None:
    deltas = {key: delta for key, delta in deltas.items() if delta}
    if not deltas:
        return
    rows = {
        (r.host, r.scene, r.day.isoformat(), r.depth): r
        for r in ShareDepthDaily.objects.filter(program_id=program_id, day__in={k[2] for k in deltas})
    }
    created, changed = [], []
    for (host, scene, day, depth), delta in deltas.items():
        row = rows.get((host, scene, day, depth))
        if row is None:
            created.append(ShareDepthDaily(program_id=program_id, host=host, scene=scene, day=day, depth=depth,
                                           shares=delta))
        else:
            row.shares += delta
            changed.append(row)
    ShareDepthDaily.objects.bulk_create(created)
    ShareDepthDaily.objects.bulk_update(changed, ["shares"], batch_size=200)


def _rewrite_chains(program_id: int, roots: set[str]) -> None:
    """Summarise each touched root's cascade from its shares; a lone share is no chain."""
    if not roots:
        return
    levels: dict[str, dict[int, list[int]]] = defaultdict(dict)
    members = (Share.objects.filter(program_id=program_id, root_share_id__in=list(roots))
               .values("root_share_id", "depth").annotate(n=Count("id"), opens=Sum("opens"), new=Sum("new_users")))
    for row in members:
        levels[row["root_share_id"]][row["depth"]] = [row["n"], row["opens"], row["new"]]
    firsts = _first_shares(program_id, roots)
    ShareChain.objects.filter(program_id=program_id, root_share_id__in=list(roots)).delete()
    chains = [_chain(program_id, root, levels[root], firsts.get(root)) for root in roots
              if sum(n for n, _, _ in levels[root].values()) >= 2]
    ShareChain.objects.bulk_create(chains)


def _first_shares(program_id: int, roots: set[str]) -> dict[str, Share]:
    """Per root, its earliest share: the root itself, or the first that arrived while the root is missing."""
    firsts: dict[str, Share] = {}
    for share in Share.objects.filter(program_id=program_id, root_share_id__in=list(roots)).order_by("depth", "day", "id"):
        firsts.setdefault(share.root_share_id, share)
    return firsts


def _chain(program_id: int, root: str, levels: dict[int, list[int]], first: Share) -> ShareChain:
    ordered = sorted(levels.items())
    return ShareChain(
        program_id=program_id, root_share_id=root, host=first.host, scene=first.scene, day=first.day,
        root_user_hash=first.user_hash if first.share_id == root else "",
        size=sum(n for _, (n, _, _) in ordered), depth=ordered[-1][0],
        opens=sum(o for _, (_, o, _) in ordered), new_users=sum(u for _, (_, _, u) in ordered),
        levels=[{"depth": d, "shares": n, "opens": o, "new_users": u} for d, (n, o, u) in ordered],
    )
