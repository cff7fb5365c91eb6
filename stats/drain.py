"""Storing a batch of validated events: raw rows, then every rollup they touch, in one transaction.

Called by the ingest task with events that `stats.events` normalised. A batch that was stored
already (a retried task, a host that posted twice) changes nothing: `EventKey` admits each event
once, and only admitted events reach the rollups.

The admitted events are copied into a staging table (`storage.STAGE_TABLE`) and the rollups are
computed from it by SQL, a statement per rollup whatever the batch. On PostgreSQL the statements go
out in psycopg's pipeline mode: a statement whose result is not needed yet does not wait for the
server, so a batch costs a handful of round trips (`_sent`, `_pipelined`).
"""

import json
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, transaction
from django.utils import timezone

from stats import bitmaps, storage
from stats.events import Event
from stats.models import EventType, Share, UserSet, new_revision

# Depth is stored in a small integer; deeper cascades stop growing there.
MAX_DEPTH = 30_000
# Which users each kind of set holds.
SET_KIND_OF_EVENT = {
    EventType.VISIT: UserSet.Kind.ACTIVE,
    EventType.SHARE: UserSet.Kind.SHARERS,
    EventType.NEW_USER: UserSet.Kind.NEW,
}
STAGE = storage.STAGE_TABLE


@transaction.atomic
def events_store(events: list[Event | dict]) -> int:
    """Store the events not stored before; returns how many were new."""
    events = [_host_scoped(e if isinstance(e, Event) else Event(**e)) for e in events]
    with _pipelined():
        storage.clear_stage()
        missing_partitions = storage.missing_partitions({date.fromisoformat(day) for day in {e.day for e in events}})
        new_keys = storage.insert_new_event_keys(_unique_keys(events))
        fresh, seen = [], set()
        for event in events:
            if event.key in new_keys and event.key not in seen:
                seen.add(event.key)
                fresh.append(event)
        storage.create_partitions(missing_partitions())
        if not fresh:
            return 0
    storage.stage_events(_stage_rows(fresh))  # COPY: not in a pipeline
    programs = sorted({e.program_id for e in fresh})
    with _pipelined():
        storage.analyze_stage()
        for program_id in programs:  # in order, so that two drains never wait for each other's locks
            _lock_program(program_id)
        facts = _repeated_facts(fresh)  # waits for its answers: before the raw rows, which take the server a while
        storage.raw_events_from_stage(timezone.now())
        if facts.repeats:
            storage.unstage(facts.repeats)
        storage.daily_counters_from_stage()
        for program_id in programs:
            _program_rollups(program_id, [e for e in fresh if e.program_id == program_id],
                             facts.known_now_new.get(program_id, {}))
    return len(fresh)


def _host_scoped(event: Event) -> Event:
    """Share ids are each host's own: Weibo's `s-1` and Alipay's `s-1` are two shares, and a share's parent is on
    its host. In the drain and the share tables a share id is `<host>:<id>`, as an event key is; the raw rows
    keep the id as the host sent it (`storage.raw_events_from_stage`), and the stats show it so."""
    if not event.share_id:
        return event
    return event._replace(share_id=f"{event.host}:{event.share_id}",
                          parent_share_id=f"{event.host}:{event.parent_share_id}" if event.parent_share_id else "")


@contextmanager
def _pipelined():
    """On PostgreSQL, statements sent in the block do not wait for the server until a result is read."""
    with connection.connection.pipeline() if storage.is_postgresql() else nullcontext():
        yield


class _sent:  # noqa: N801 - reads as a verb at the call site
    """A statement sent now whose rows are read later (PostgreSQL: when `rows()` is called)."""

    def __init__(self, sql: str, params: list | tuple = ()):
        self.cursor = connection.cursor()
        self.cursor.execute(sql, params)
        # SQLite has no pipeline; its rows are read at once, before any other statement runs.
        self._rows = None if storage.is_postgresql() else self.cursor.fetchall()

    def rows(self) -> list[tuple]:
        rows = self.cursor.fetchall() if self._rows is None else self._rows
        self.cursor.close()
        return rows


class _Facts(NamedTuple):
    """What `_repeated_facts` found."""

    repeats: list[int]  # seqs of the staged events that count nothing
    known_now_new: dict[int, dict[str, str]]  # per program: users seen before, new from now, and their day


def _repeated_facts(events: list[Event]) -> _Facts:
    """The staged events (their `seq`, the index in `events`) that repeat, under a new event id, a fact counted
    already; their raw rows stay, but nothing counts them (`storage.unstage`):
    - a share whose share id is stored, or came earlier in the batch: a share is its share id (SPEC §7), so
      it counts once, on the day and under the user of its first arrival;
    - a `new_user` for a user who was new before (`StatsUser.new_on`), or a second one in the batch (the
      earliest `time` counts): a person is new once, and is in one retention cohort.
    Also the users the program has seen before who are new only now (their `new_on` is set by `_ordinals`).
    Read with the batch's programs locked, so that a drain running at once cannot count the same fact.
    """
    shares = [(seq, e) for seq, e in enumerate(events) if e.type == EventType.SHARE]
    new_users = sorted(((datetime.fromisoformat(e.occurred_at), seq, e) for seq, e in enumerate(events)
                        if e.type == EventType.NEW_USER), key=lambda item: item[:2])
    stored_shares = _sent_stored(
        "SELECT program_id, share_id FROM stats_share WHERE program_id {programs} AND share_id {values}",
        {e.program_id for _, e in shares}, {e.share_id for _, e in shares})
    known_users = _sent_stored(
        "SELECT program_id, user_hash, new_on FROM stats_statsuser WHERE program_id {programs} AND user_hash {values}",
        {e.program_id for *_, e in new_users}, {e.user_hash for *_, e in new_users})
    known = known_users.rows() if known_users is not None else []
    repeated = _repeats(((seq, (e.program_id, e.share_id)) for seq, e in shares),
                        set(stored_shares.rows()) if stored_shares is not None else set())
    repeated += _repeats(((seq, (e.program_id, e.user_hash)) for _, seq, e in new_users),
                         {(program_id, user) for program_id, user, new_on in known if new_on is not None})
    now_new = {(program_id, user) for program_id, user, new_on in known if new_on is None}
    known_now_new: dict[int, dict[str, str]] = defaultdict(dict)
    for _, _, e in new_users:  # earliest first, so the first one seen is the one that counts
        if (e.program_id, e.user_hash) in now_new:
            known_now_new[e.program_id].setdefault(e.user_hash, e.day)
    return _Facts(sorted(repeated), known_now_new)


def _sent_stored(sql: str, programs: set[int], values: set[str]) -> _sent | None:
    if not values:
        return None
    in_programs, program_params = _in(programs)
    in_values, value_params = _in(values)
    return _sent(sql.format(programs=in_programs, values=in_values), [*program_params, *value_params])


def _repeats(facts, seen: set) -> list[int]:
    """The seqs of the facts, in counting order, that are in `seen` (counted already) or came before in it."""
    repeated = []
    for seq, fact in facts:
        if fact in seen:
            repeated.append(seq)
        seen.add(fact)
    return repeated


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
    values as the ORM writes them: a time in UTC, without its offset. Stored as sent ("…+05:30" beside
    "…+08:00"), times compared as text, and a filter on `occurred_at` missed events (a stats walk)."""
    if storage.is_postgresql():
        return [(*e, _fen(e), seq) for seq, e in enumerate(events)]
    as_stored = connection.ops.adapt_datetimefield_value
    rows = []
    for seq, e in enumerate(events):
        row = list(_raw_row(e, None)[:-1])
        row[RAW_OCCURRED_AT] = as_stored(row[RAW_OCCURRED_AT])
        rows.append((*row, _fen(e), seq))
    return rows


RAW_OCCURRED_AT = storage.RAW_COLUMNS.index("occurred_at")


def _fen(event: Event) -> int:
    return int(Decimal(event.amount) * 100) if event.type == EventType.PAYMENT else 0


def _in(values) -> tuple[str, list]:
    """`column <this>` matching any of `values`: one array parameter on PostgreSQL, a list on SQLite."""
    values = list(values)
    if storage.is_postgresql():
        return "= ANY(%s)", [values]
    return f"IN ({', '.join(['%s'] * len(values))})", values


def _program_rollups(program_id: int, events: list[Event], known_now_new: dict[str, str]) -> None:
    """Everything that needs the program's users: sets, distinct counts, shares. The program is locked."""
    _ordinals(program_id, known_now_new)
    members = _sent(  # the batch's users, numbered, per scene, day and kind of set
        f"SELECT DISTINCT staged.host, staged.scene, staged.day, staged.type, known.ordinal "
        f"FROM {STAGE} AS staged JOIN stats_statsuser AS known "
        f"ON known.program_id = staged.program_id AND known.user_hash = staged.user_hash "
        f"WHERE staged.program_id = %s AND staged.type IN ({', '.join(['%s'] * len(SET_KIND_OF_EVENT))})",
        [program_id, *(str(t) for t in SET_KIND_OF_EVENT)],
    )
    shares = [e for e in events if e.type == EventType.SHARE]
    lookup = _sent_share_lookup(program_id, shares) if shares else None
    _store_shares(program_id, events, shares, lookup, lambda: _update_user_sets(program_id, members.rows()))


def _lock_program(program_id: int) -> None:
    """Lock the program's drain state (creating it), so that its drains run one after the other.

    An upsert that updates the row takes its lock, and on PostgreSQL waits for a drain holding it;
    the statements after it see what that drain committed.
    """
    _sent("INSERT INTO stats_programstatsstate (program_id, next_ordinal) VALUES (%s, 0) ON CONFLICT (program_id) "
          "DO UPDATE SET next_ordinal = stats_programstatsstate.next_ordinal", [program_id])


def _ordinals(program_id: int, known_now_new: dict[str, str]) -> None:
    """Number the staged users the program has not seen, after the last, in the order they first appear.

    Each new user's first day is their earliest day in the batch, and the day they are new on that of their
    `new_user` (the staged new users are new for the first time: `_repeated_facts` took out the others).
    Users seen before get theirs from `known_now_new` (user hash: day); few, as a host sends a user's
    `new_user` with their first visit. Ordinals below `next_ordinal` are taken, so the new ones are those
    from it up.
    """
    _sent(
        f"INSERT INTO stats_statsuser (program_id, user_hash, ordinal, first_day, new_on) "
        f"SELECT program_id, user_hash, (SELECT next_ordinal FROM stats_programstatsstate WHERE program_id = %s) "
        f"+ ROW_NUMBER() OVER (ORDER BY MIN(seq)) - 1, MIN(day), MIN(CASE WHEN type = %s THEN day END) "
        f"FROM {STAGE} AS staged WHERE program_id = %s AND NOT EXISTS ("
        f"SELECT 1 FROM stats_statsuser AS known WHERE known.program_id = %s AND known.user_hash = staged.user_hash) "
        f"GROUP BY program_id, user_hash",
        [program_id, str(EventType.NEW_USER), program_id, program_id],
    )
    _sent("UPDATE stats_programstatsstate SET next_ordinal = next_ordinal + (SELECT COUNT(*) FROM stats_statsuser AS u "
          "WHERE u.program_id = stats_programstatsstate.program_id AND u.ordinal >= stats_programstatsstate.next_ordinal) "
          "WHERE program_id = %s", [program_id])
    by_day: dict[str, list[str]] = defaultdict(list)
    for user, day in known_now_new.items():
        by_day[day].append(user)
    for day, users in by_day.items():
        match, params = _in(users)
        _sent(f"UPDATE stats_statsuser SET new_on = %s WHERE program_id = %s AND user_hash {match}",
              [date.fromisoformat(day), program_id, *params])


def _update_user_sets(program_id: int, memberships: list[tuple]) -> None:
    """Add the batch's users to the day's sets at every level; a few statements, whatever the batch."""
    kind_of = {str(event_type): str(kind) for event_type, kind in SET_KIND_OF_EVENT.items()}
    members: dict[tuple, set[int]] = defaultdict(set)
    for host, scene, day, event_type, ordinal in memberships:
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
    reads = [
        _sent(
            f"SELECT host, scene, day, kind, bits, count FROM stats_userset WHERE program_id = %s "
            f"AND (host, scene, day, kind) IN (VALUES {', '.join(['(%s, %s, %s, %s)'] * len(chunk))})",
            [program_id, *(value for h, sc, d, k in chunk for value in (h, sc, date.fromisoformat(d), k))],
        )
        for chunk in storage.chunks(keys, 200)
    ]
    return {(host, scene, str(day), kind): (bytes(bits), count)
            for read in reads for host, scene, day, kind, bits, count in read.rows()}


def _write_user_sets(program_id: int, sets: dict[tuple, tuple[bytes, int]]) -> None:
    """Insert or replace the sets; a replaced set's revision moves on, so readers that kept it read it again."""
    rows = [(program_id, host, scene, date.fromisoformat(day), kind, bits, count, new_revision())
            for (host, scene, day, kind), (bits, count) in sets.items()]
    for chunk in storage.chunks(rows, 100):
        _sent(
            f"INSERT INTO stats_userset (program_id, host, scene, day, kind, bits, count, revision) "
            f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s, %s)'] * len(chunk))} "
            f"ON CONFLICT (program_id, host, scene, day, kind) DO UPDATE SET bits = excluded.bits, "
            f"count = excluded.count, revision = stats_userset.revision + 1",
            [value for row in chunk for value in row],
        )


def _copy_scene_counts(program_id: int, counts: dict[tuple, int]) -> None:
    """Each scene's daily distinct visitors and sharers onto its DailyStats row."""
    field_of = {str(UserSet.Kind.ACTIVE): "unique_visitors", str(UserSet.Kind.SHARERS): "share_users"}
    for (host, scene, day, kind), count in counts.items():
        if kind in field_of:
            _sent(f"UPDATE stats_dailystats SET {field_of[kind]} = %s "
                  f"WHERE program_id = %s AND host = %s AND scene = %s AND day = %s",
                  [count, program_id, host, scene, date.fromisoformat(day)])


def _sent_share_lookup(program_id: int, shares: list[Event]) -> _sent:
    """The batch's shares and their parents that are stored already: share id, depth, root."""
    ids = {e.share_id for e in shares} | {e.parent_share_id for e in shares if e.parent_share_id}
    match, params = _in(ids)
    return _sent(f"SELECT share_id, depth, root_share_id FROM stats_share WHERE program_id = %s AND share_id {match}",
                 [program_id, *params])


def _store_shares(program_id: int, events: list[Event], shares: list[Event], lookup: _sent | None,
                  meanwhile: Callable[[], None]) -> None:
    """Place the new shares, count opens and new users on theirs, rewrite the depths and chains touched.

    `meanwhile` runs once the statements that need no answer yet are sent, so that its first read
    brings their answers too.
    """
    touched: set[str] = set()  # roots whose chain summary must be rewritten
    depth_deltas: dict[tuple, int] = defaultdict(int)
    new = _insert_shares(program_id, shares, lookup, touched, depth_deltas) if shares else []
    _count_early_arrivals(program_id, new)
    children = _sent_children(program_id, new)
    arrivals = _sent_share_arrivals(program_id, events)
    if arrivals is not None:
        _keep_early_arrivals(program_id)
    meanwhile()
    for child, old_depth, old_root in _replace_children(program_id, new, children):
        depth_deltas[(child.host, child.scene, str(child.day), old_depth)] -= 1
        depth_deltas[(child.host, child.scene, str(child.day), child.depth)] += 1
        touched |= {old_root, child.root_share_id}
    if arrivals is not None:
        touched |= {root for (root,) in arrivals.rows()}
    _add_depth_deltas(program_id, depth_deltas)
    _rewrite_chains(program_id, touched)


def _insert_shares(program_id: int, shares: list[Event], lookup: _sent, touched: set[str],
                   depth_deltas: dict) -> list[Share]:
    """New shares, placed under their parents; returns them (children that came first are re-placed after)."""
    rows: dict[str, Share] = {}
    for e in shares:  # a share id sent twice is the share of its first arrival, as `_repeated_facts` counts it
        rows.setdefault(e.share_id, Share(
            program_id=program_id, host=e.host, scene=e.scene, share_id=e.share_id,
            parent_share_id=e.parent_share_id, user_hash=e.user_hash, day=e.day,
        ))
    stored = {sid: (depth, root) for sid, depth, root in lookup.rows()}
    rows = {sid: row for sid, row in rows.items() if sid not in stored}
    parent_ids = {r.parent_share_id for r in rows.values() if r.parent_share_id}
    placed = {sid: stored[sid] for sid in parent_ids - set(rows) if sid in stored}  # parents stored before
    for row in _in_parent_order(rows):
        row.depth, row.root_share_id = _placement(row, placed)
        placed[row.share_id] = (row.depth, row.root_share_id)
        depth_deltas[(row.host, row.scene, str(row.day), row.depth)] += 1
        touched.add(row.root_share_id)
    Share.objects.bulk_create(rows.values(), ignore_conflicts=True)
    return list(rows.values())


def _in_parent_order(rows: dict[str, Share]) -> list[Share]:
    """Parents before their children within the batch (chains inside one batch are common); a cycle is cut
    where the walk meets it again, and `_placement` starts the chain at the share that closes it."""
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
        if root == row.share_id:
            # The parent descends from this share (or waits for it as its missing root): the parent links
            # make a cycle, which no real sharing can. This share's link is the one that closes it, so it is
            # ignored and the share starts the chain; its descendants are placed under it.
            return 1, row.share_id
        return depth + 1, root
    # The parent has not arrived yet: at least depth 2, rooted at the parent until it does.
    return 2, row.parent_share_id


SHARE_COLUMNS = ("id", "host", "scene", "share_id", "parent_share_id", "root_share_id", "depth", "day")


def _sent_children(program_id: int, parents: list[Share]) -> _sent | None:
    """The stored shares whose parent is one of `parents` (SHARE_COLUMNS)."""
    if not parents:
        return None
    match, params = _in({s.share_id for s in parents})
    return _sent(f"SELECT {', '.join(SHARE_COLUMNS)} FROM stats_share WHERE program_id = %s AND parent_share_id {match}",
                 [program_id, *params])


def _replace_children(program_id: int, new: list[Share], children: _sent | None) -> list[tuple[Share, int, str]]:
    """Shares stored before their parent (now arrived) take the depth and root the parent gives them.

    `new`: the shares just stored, placed; `children`: their children, asked already. Returns each
    moved share with its former depth and root.
    """
    frontier = new
    moved_once: dict[str, tuple[Share, int, str]] = {}  # a hostile cycle of parents would otherwise never settle
    while frontier and children is not None:
        by_id = {s.share_id: s for s in frontier}
        moved = []
        for child in (Share(program_id=program_id, **dict(zip(SHARE_COLUMNS, row, strict=True)))
                      for row in children.rows()):
            parent = by_id[child.parent_share_id]
            depth, root = parent.depth + 1, parent.root_share_id
            if root == child.share_id or child.share_id in moved_once or depth > MAX_DEPTH:
                continue  # the first: a cycle, which the child starts (`_placement`)
            if (child.depth, child.root_share_id) != (depth, root):
                moved_once[child.share_id] = (child, child.depth, child.root_share_id)
                child.depth, child.root_share_id = depth, root
                moved.append(child)
        for child in moved:
            _sent("UPDATE stats_share SET depth = %s, root_share_id = %s WHERE id = %s",
                  [child.depth, child.root_share_id, child.pk])
        frontier, children = moved, _sent_children(program_id, moved)
    return list(moved_once.values())


# Events that arrive through a share: counted on it (`Share.opens`, `Share.new_users`).
ARRIVALS = (str(EventType.SHARE_OPEN), str(EventType.NEW_USER))


def _sent_share_arrivals(program_id: int, events: list[Event]) -> _sent | None:
    """Add the staged opens and new users to the shares they came through; its rows are those shares' roots."""
    kinds = ARRIVALS
    if not any(e.type in kinds and e.share_id for e in events):
        return None
    return _sent(
        f"UPDATE stats_share SET opens = stats_share.opens + arrived.opens, "
        f"new_users = stats_share.new_users + arrived.new_users "
        f"FROM (SELECT share_id, SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS opens, "
        f"SUM(CASE WHEN type = %s THEN 1 ELSE 0 END) AS new_users FROM {STAGE} "
        f"WHERE program_id = %s AND type IN (%s, %s) AND share_id <> '' GROUP BY share_id) AS arrived "
        f"WHERE stats_share.program_id = %s AND stats_share.share_id = arrived.share_id "
        f"RETURNING stats_share.root_share_id",
        [*kinds, program_id, *kinds, program_id],
    )


def _keep_early_arrivals(program_id: int) -> None:
    """The staged opens and new users whose share is not stored yet wait for it (`EarlyArrival`)."""
    kinds = ARRIVALS
    _sent(
        f"INSERT INTO stats_earlyarrival (program_id, share_id, opens, new_users, last_day) "
        f"SELECT program_id, share_id, SUM(CASE WHEN type = %s THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN type = %s THEN 1 ELSE 0 END), MAX(day) FROM {STAGE} AS staged "
        f"WHERE program_id = %s AND type IN (%s, %s) AND share_id <> '' AND NOT EXISTS ("
        f"SELECT 1 FROM stats_share AS known WHERE known.program_id = %s AND known.share_id = staged.share_id) "
        f"GROUP BY program_id, share_id "
        f"ON CONFLICT (program_id, share_id) DO UPDATE SET opens = stats_earlyarrival.opens + excluded.opens, "
        f"new_users = stats_earlyarrival.new_users + excluded.new_users, last_day = CASE "
        f"WHEN excluded.last_day > stats_earlyarrival.last_day THEN excluded.last_day "
        f"ELSE stats_earlyarrival.last_day END",
        [*kinds, program_id, *kinds, program_id],
    )


def _count_early_arrivals(program_id: int, new: list[Share]) -> None:
    """Add to the shares just stored the opens and new users that arrived before them (their roots are
    touched already, as every new share's is)."""
    if not new:
        return
    match, params = _in({s.share_id for s in new})
    _sent(
        f"UPDATE stats_share SET opens = stats_share.opens + early.opens, "
        f"new_users = stats_share.new_users + early.new_users FROM stats_earlyarrival AS early "
        f"WHERE early.program_id = %s AND early.share_id {match} "
        f"AND stats_share.program_id = %s AND stats_share.share_id = early.share_id",
        [program_id, *params, program_id],
    )
    _sent(f"DELETE FROM stats_earlyarrival WHERE program_id = %s AND share_id {match}", [program_id, *params])


def _add_depth_deltas(program_id: int, deltas: dict[tuple, int]) -> None:
    rows = [(program_id, host, scene, date.fromisoformat(day), depth, delta)
            for (host, scene, day, depth), delta in deltas.items() if delta]
    for chunk in storage.chunks(rows, 200):
        _sent(
            f"INSERT INTO stats_sharedepthdaily (program_id, host, scene, day, depth, shares) "
            f"VALUES {', '.join(['(%s, %s, %s, %s, %s, %s)'] * len(chunk))} "
            f"ON CONFLICT (program_id, host, scene, day, depth) "
            f"DO UPDATE SET shares = stats_sharedepthdaily.shares + excluded.shares",
            [value for row in chunk for value in row],
        )


class _First(NamedTuple):
    """A chain's earliest share: the root itself, or the first that arrived while the root is missing."""

    share_id: str
    host: str
    scene: str
    day: date
    user_hash: str


def _rewrite_chains(program_id: int, roots: set[str]) -> None:
    """Summarise each touched root's cascade from its shares; a lone share is no chain."""
    if not roots:
        return
    match, params = _in(roots)
    levels_read = _sent(
        f"SELECT root_share_id, depth, COUNT(*), SUM(opens), SUM(new_users) FROM stats_share "
        f"WHERE program_id = %s AND root_share_id {match} GROUP BY root_share_id, depth",
        [program_id, *params],
    )
    firsts_read = _sent(
        f"SELECT root_share_id, share_id, host, scene, day, user_hash FROM (SELECT root_share_id, share_id, host, "
        f"scene, day, user_hash, ROW_NUMBER() OVER (PARTITION BY root_share_id ORDER BY depth, day, id) AS rank "
        f"FROM stats_share WHERE program_id = %s AND root_share_id {match}) AS ranked WHERE rank = 1",
        [program_id, *params],
    )
    _sent(f"DELETE FROM stats_sharechain WHERE program_id = %s AND root_share_id {match}", [program_id, *params])
    levels: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for root, depth, n, opens, new in levels_read.rows():
        levels[root][depth] = [n, opens, new]
    firsts = {root: _First(*first) for root, *first in firsts_read.rows()}
    chains = [_chain(program_id, root, levels[root], firsts[root])
              for root in roots if sum(n for n, _, _ in levels[root].values()) >= 2]
    for chunk in storage.chunks(chains, 100):  # not bulk_create: it would wait for the new ids
        _sent(
            f"INSERT INTO stats_sharechain ({', '.join(CHAIN_COLUMNS)}) "
            f"VALUES {', '.join(['(' + ', '.join(['%s'] * len(CHAIN_COLUMNS)) + ')'] * len(chunk))}",
            [value for chain in chunk for value in chain],
        )


CHAIN_COLUMNS = ("program_id", "root_share_id", "host", "scene", "day", "root_user_hash", "size", "depth", "opens",
                 "new_users", "levels")


def _chain(program_id: int, root: str, levels: dict[int, list[int]], first: _First) -> tuple:
    """A ShareChain row, in CHAIN_COLUMNS order."""
    ordered = sorted(levels.items())
    return (
        program_id, root, first.host, first.scene, first.day, first.user_hash if first.share_id == root else "",
        sum(n for _, (n, _, _) in ordered), ordered[-1][0],
        sum(o for _, (_, o, _) in ordered), sum(u for _, (_, _, u) in ordered),
        json.dumps([{"depth": d, "shares": n, "opens": o, "new_users": u} for d, (n, o, u) in ordered]),
    )
