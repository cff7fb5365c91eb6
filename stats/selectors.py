"""Reads of the stats: every number a dashboard, the API or a CSV shows comes from here.

All reads go to the rollups (`DailyStats`, `UserSet`, `Share`, `GateDaily`), never to the raw
events, so their cost depends on the date range and the number of users, not of events.
"""

import itertools
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from django.db import connections, router
from django.db.models import F, Max, Min, Sum
from django.utils import timezone

from console import sql
from programs.models import MiniProgram
from stats import bitmaps
from stats.models import DailyStats, GateDaily, ShareChain, ShareDepthDaily, UserSet
from stats.numbers import ratio
from stats.setcache import set_cache

RETENTION_DAYS = (1, 2, 3, 4, 5, 6, 7, 14, 30)
TOP_CHAINS = 5
ADDITIVE = ("visits", "page_views", "stay_seconds", "new_users", "new_users_via_share", "shares", "share_opens",
            "payments", "revenue_fen")
METRICS = ("visits", "page_views", "unique_visitors", "new_users", "avg_stay_seconds", "shares", "share_users",
           "share_opens", "payments", "revenue")


class Granularity:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    ALL = (DAY, WEEK, MONTH)


@dataclass(frozen=True)
class StatsQuery:
    start: date
    end: date  # inclusive
    host: str = ""
    scene: str = ""
    granularity: str = Granularity.DAY

    @property
    def level(self) -> tuple[str, str]:
        """Which user sets answer distinct counts: every host, one host, or one scene."""
        if self.scene:
            return self.scene.split(".", 1)[0], self.scene
        return self.host, ""

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]


def partial_day(start: date, end: date) -> date | None:
    """Today when the range reaches it: a day not over, whose numbers grow until midnight."""
    today = timezone.localdate()
    return today if start <= today <= end else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def period_start(day: date, granularity: str) -> date:
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())  # Monday
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def program_stats(program: MiniProgram, query: StatsQuery) -> dict:
    return _Reading(program, query).stats()


class Comparison(NamedTuple):
    """What a dashboard's "change against the previous period" compares."""

    current: dict  # totals of the range, or of its complete days
    previous: dict | None  # totals of as many days just before; None when no day of the range is over
    complete_days_only: bool  # the range reaches today, which is not over: today and its match are left out
    days: tuple[date, date] | None = None  # the first and last day `current` counts
    previous_days: tuple[date, date] | None = None  # and `previous`


def program_stats_compared(program: MiniProgram, query: StatsQuery, today: date) -> tuple[dict, Comparison]:
    """The stats of `query` and what its change compares (`_compared_days`), from one reading of the rollups."""
    reading = _Reading(program, query, previous=previous_period(query))
    stats = reading.stats()
    return stats, _comparison(stats["totals"], query, today, reading.totals)


def _comparison(totals: dict, query: StatsQuery, today: date, totals_of: Callable[[date, date], dict]) -> Comparison:
    """What the change of `totals` (the range's) compares, `totals_of(first, last)` reading other days."""
    spans = _compared_days(query, today)
    if spans is None:
        return Comparison(totals, None, True)
    days, previous_days, complete_days_only = spans
    current = totals_of(*days) if complete_days_only else totals
    return Comparison(current, totals_of(*previous_days), complete_days_only, days, previous_days)


def _compared_days(query: StatsQuery, today: date) -> tuple[tuple[date, date], tuple[date, date], bool] | None:
    """The days whose totals a range's change compares, the as many days just before, and whether today was
    left out; None for today alone (a part of a day has no fair match among whole days).

    A range that reaches today would compare a day not over with a whole one (traffic that rose showed a
    fall): then the complete days are compared with as many days of the period before, aligned from its start.
    """
    previous = previous_period(query)
    if query.start >= today:
        return None
    if query.start < today <= query.end:
        cut = timedelta(days=(query.end - today).days + 1)
        return (query.start, today - timedelta(days=1)), (previous.start, previous.end - cut), True
    return (query.start, query.end), (previous.start, previous.end), False


def program_totals(program: MiniProgram, query: StatsQuery) -> dict:
    return _Reading(program, query, totals_only=True).totals(query.start, query.end)


def program_event_days(program: MiniProgram, query: StatsQuery) -> tuple[date, date] | None:
    """The first and last day with events of `program` on the query's host or scene, whatever its range; None
    when there are none. What an empty range says: the events are elsewhere, or there are none yet."""
    rows = DailyStats.objects.filter(program=program)
    if query.scene:
        rows = rows.filter(scene=query.scene)
    elif query.host:
        rows = rows.filter(host=query.host)
    span = rows.aggregate(first=Min("day"), last=Max("day"))
    return (span["first"], span["last"]) if span["first"] else None


def previous_period(query: StatsQuery) -> StatsQuery:
    """The range of the same length just before `query`'s, for "change against the previous period"."""
    length = (query.end - query.start).days + 1
    return StatsQuery(start=query.start - timedelta(days=length), end=query.start - timedelta(days=1),
                      host=query.host, scene=query.scene, granularity=query.granularity)


class _Reading:
    """The counters and user sets one stats answer needs, read together; the rest is arithmetic.

    A dashboard used to ask the database a dozen times (totals, series, breakdown, retention, fission,
    the previous period), each fetching again bitmaps another had fetched already. Now it reads four
    times (counters, user sets, and fission's depths and top chains), in one round trip on PostgreSQL.
    """

    def __init__(self, program: MiniProgram, query: StatsQuery, *, previous: StatsQuery | None = None,
                 totals_only: bool = False):
        self.program, self.query, self.totals_only = program, query, totals_only
        self.first = previous.start if previous else query.start
        held = _sendable(set_cache.held(program.pk, self.first, query.end + timedelta(days=max(RETENTION_DAYS))))
        reads = [_daily_sql(program, query, self.first, query.end), _user_sets_sql(program, self._sets_needed(), held)]
        if not totals_only:
            reads += [_depths_sql(program, query), _top_chains_sql(program, query)]
        daily, sets, *self.fission_rows = sql.fetch_together(UserSet, reads)
        self.daily = [dict(zip(DAILY_COLUMNS, row, strict=True)) for row in daily]
        self.sets = _user_sets(program.pk, sets, held)

    def _sets_needed(self) -> tuple[str, list]:
        """The condition (SQL and parameters) on the user sets this reading needs.

        Written out rather than built as a Q: Django building the four branches' dozen lookups cost
        about as much CPU as fetching the bitmaps, on every dashboard and API answer.
        """
        query, (host, scene) = self.query, self.query.level
        active, sharers, new = UserSet.Kind.ACTIVE, UserSet.Kind.SHARERS, UserSet.Kind.NEW
        branches = ["kind IN (%s, %s) AND day >= %s AND day <= %s"]
        params = [host, scene, active, sharers, self.first, query.end]
        if not self.totals_only:
            branches += ["kind = %s AND day >= %s AND day <= %s",
                         # Retention looks up to the longest retention day after the range.
                         "kind = %s AND day > %s AND day <= %s"]
            params += [new, query.start, query.end,
                       active, query.end, query.end + timedelta(days=max(RETENTION_DAYS))]
        needed = "host = %s AND scene = %s AND (" + " OR ".join(f"({b})" for b in branches) + ")"
        if not self.totals_only:
            # The breakdown's distinct users per scene.
            scoped, scoped_params = _scoped_sql(query)
            needed = (f"({needed}) OR ({scoped}scene <> '' AND kind IN (%s, %s) AND day >= %s AND day <= %s)")
            params += [*scoped_params, active, sharers, query.start, query.end]
        return needed, params

    def _level_sets(self, kind: str) -> dict[date, tuple[int, int]]:
        return self.sets.get((*self.query.level, kind), {})

    def _distinct(self, kind: str, start: date, end: date) -> int:
        """Exact number of distinct users of `kind` between two days: a union of bitmaps."""
        return bitmaps.union(value for day, (_, value) in self._level_sets(kind).items() if start <= day <= end
                             ).bit_count()

    def totals(self, start: date, end: date) -> dict:
        return _metrics(
            _sums(row for row in self.daily if start <= row["day"] <= end),
            self._distinct(UserSet.Kind.ACTIVE, start, end),
            self._distinct(UserSet.Kind.SHARERS, start, end),
        )

    def stats(self) -> dict:
        query = self.query
        totals = self.totals(query.start, query.end)
        return {
            "program": {"appid": self.program.appid, "name": self.program.name},
            "range": {"from": query.start.isoformat(), "to": query.end.isoformat(), "host": query.host,
                      "scene": query.scene, "granularity": query.granularity,
                      "partial_day": _iso(partial_day(query.start, query.end))},
            "totals": totals,
            "series": self._series(),
            "breakdown": self._breakdown(),
            "retention": self._retention(),
            "fission": _fission(self._in_range(), totals, *self.fission_rows),
        }

    def _in_range(self) -> list[dict]:
        return [row for row in self.daily if self.query.start <= row["day"] <= self.query.end]

    def _series(self) -> list[dict]:
        sums = _sums_by_period(self._in_range(), self.query)
        uniques = self._period_uniques()
        return [
            {**_period_days(p, self.query),
             **_metrics(sums[p], uniques[(p, UserSet.Kind.ACTIVE)], uniques[(p, UserSet.Kind.SHARERS)])}
            for p in _periods(self.query)
        ]

    def _period_uniques(self) -> dict[tuple, int]:
        """Distinct users per period: day counts as stored; weeks and months are unions, never sums."""
        query = self.query
        result: dict[tuple, int] = defaultdict(int)
        unions: dict[tuple, int] = defaultdict(int)
        for kind in (UserSet.Kind.ACTIVE, UserSet.Kind.SHARERS):
            for day, (count, value) in self._level_sets(kind).items():
                if not query.start <= day <= query.end:
                    continue
                if query.granularity == Granularity.DAY:
                    result[(day, kind)] = count
                else:
                    unions[(period_start(day, query.granularity), kind)] |= value
        for key, union in unions.items():
            result[key] = union.bit_count()
        return result

    def _breakdown(self) -> list[dict]:
        grouped: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
        for row in self._in_range():
            sums = grouped[(row["host"], row["scene"])]
            for name in ADDITIVE:
                sums[name] += row[name]
        uniques = self._scene_uniques()
        return [
            {"host": host, "scene": scene, **_metrics(grouped[(host, scene)], *uniques.get(scene, (0, 0)))}
            for host, scene in sorted(grouped)
        ]

    def _scene_uniques(self) -> dict[str, tuple[int, int]]:
        unions: dict[tuple, int] = defaultdict(int)
        for (_, scene, kind), days in self.sets.items():
            if not scene or kind == UserSet.Kind.NEW:
                continue
            for day, (_, value) in days.items():
                if self.query.start <= day <= self.query.end:
                    unions[(scene, kind)] |= value
        scenes = {scene for scene, _ in unions}
        return {
            s: (unions[(s, UserSet.Kind.ACTIVE)].bit_count(), unions[(s, UserSet.Kind.SHARERS)].bit_count())
            for s in scenes
        }

    def _retention(self) -> list[dict]:
        """Per cohort day: new users, and the share of them active N days later (None until that day comes)."""
        query = self.query
        cohorts = {day: value for day, (_, value) in self._level_sets(UserSet.Kind.NEW).items()
                   if query.start <= day <= query.end}
        if not cohorts:
            return []
        active = {day: value for day, (_, value) in self._level_sets(UserSet.Kind.ACTIVE).items()
                  if day >= query.start}
        latest = timezone.localdate()  # a day that has come counts, with or without a visit (0 %, not "not yet")
        table = []
        for day in sorted(cohorts):
            cohort = cohorts[day]
            size = cohort.bit_count()
            row = {"cohort": day.isoformat(), "new_users": size}
            for n in RETENTION_DAYS:
                later = day + timedelta(days=n)
                row[f"day_{n}"] = (
                    None if later > latest or not size else ratio((cohort & active.get(later, 0)).bit_count(), size, 4)
                )
            table.append(row)
        return table


def _user_sets(program_id: int, rows: list[tuple], held: dict[int, tuple[int, int]]) -> dict[tuple, dict]:
    """(host, scene, kind) -> {day: (count, bitmap as an integer)}, from the rows of `_user_sets_sql`.

    A row without bits is a set held at its revision; the bitmaps that came are kept for next time.
    """
    sets: dict[tuple, dict[date, tuple[int, int]]] = defaultdict(dict)
    read = []
    for set_id, revision, host, scene, kind, day, count, bits in rows:
        if bits is None:
            value = held[set_id][1]
        else:
            value = bitmaps.as_int(bytes(bits))
            read.append((set_id, revision, day, value))
        sets[(host, scene, kind)][day] = (count, value)
    set_cache.keep(program_id, read)
    return sets


DAILY_COLUMNS = ("day", "host", "scene", *ADDITIVE)


def _daily_sql(program: MiniProgram, query: StatsQuery, start: date, end: date) -> tuple[str, list]:
    """The counters of the query's hosts and scenes, per scene and day.

    The stats reads are SQL of our own: Django building each query cost as much CPU as running it
    (console/sql.py says the same of the shell's reads).
    """
    return _in_days_sql(DailyStats, ", ".join(DAILY_COLUMNS), program, query, start, end)


def _in_days_sql(model, columns: str, program: MiniProgram, query: StatsQuery, start: date, end: date,
                 rest: str = "", params: tuple = ()) -> tuple[str, list]:
    """`columns` of a rollup's rows of the program, the query's host or scene, and the days; `rest` after WHERE."""
    scoped, scoped_params = _scoped_sql(query)
    text = (f"SELECT {columns} FROM {sql.table(model)} "
            f"WHERE {scoped}program_id = %s AND day >= %s AND day <= %s {rest}")
    return text, [*scoped_params, program.pk, start, end, *params]


def _user_sets_sql(program: MiniProgram, needed: tuple[str, list], held: dict[int, tuple[int, int]]) -> tuple[str, list]:
    """The sets `needed`, with their bits unless this process holds them at their revision (`held`, by id)."""
    condition, params = needed
    columns = "s.id, s.revision, s.host, s.scene, s.kind, s.day, s.count"
    if not held:
        return (f"SELECT {columns}, s.bits FROM {sql.table(UserSet)} AS s WHERE s.program_id = %s AND ({condition})",
                [program.pk, *params])
    known, known_params = _known_sets(held)
    return (f"SELECT {columns}, CASE WHEN known.revision = s.revision THEN NULL ELSE s.bits END "
            f"FROM {sql.table(UserSet)} AS s LEFT JOIN {known} ON known.id = s.id "
            f"WHERE s.program_id = %s AND ({condition})", [*known_params, program.pk, *params])


def _sendable(held: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """As many held sets as the database takes as parameters (two each; SQLite: 999 in all, by Django's count),
    leaving room for the query's own. Sets left out are simply sent again."""
    limit = connections[router.db_for_read(UserSet)].features.max_query_params
    if limit is None or len(held) * 2 <= limit - 100:
        return held
    return dict(itertools.islice(held.items(), (limit - 100) // 2))


def _known_sets(held: dict[int, tuple[int, int]]) -> tuple[str, list]:
    """The held sets as a table `known (id, revision)`: two array parameters on PostgreSQL (hundreds of
    pairs cost it more to parse as a VALUES list than their bits cost to send), a VALUES list on SQLite."""
    if connections[router.db_for_read(UserSet)].vendor == "postgresql":
        return ("unnest(CAST(%s AS bigint[]), CAST(%s AS bigint[])) AS known (id, revision)",
                [list(held), [revision for revision, _ in held.values()]])
    pairs = ", ".join(["(%s, %s)"] * len(held))
    return (f"(SELECT column1 AS id, column2 AS revision FROM (VALUES {pairs})) AS known",
            [value for set_id, (revision, _) in held.items() for value in (set_id, revision)])


def _depths_sql(program: MiniProgram, query: StatsQuery) -> tuple[str, list]:
    return _in_days_sql(ShareDepthDaily, "depth, SUM(shares)", program, query, query.start, query.end,
                        "GROUP BY depth ORDER BY depth")


def _top_chains_sql(program: MiniProgram, query: StatsQuery) -> tuple[str, list]:
    """The largest cascades that started in the range (`levels` as text, whichever way rows arrive)."""
    return _in_days_sql(ShareChain, "root_share_id, root_user_hash, size, depth, opens, new_users, CAST(levels AS text)",
                        program, query, query.start, query.end,
                        "ORDER BY size DESC, opens DESC, root_share_id LIMIT %s", (TOP_CHAINS,))


def _scoped_sql(query: StatsQuery) -> tuple[str, list]:
    """The query's host or scene (none for every host) as the start of a SQL condition."""
    if query.scene:
        return "scene = %s AND ", [query.scene]
    return ("host = %s AND ", [query.host]) if query.host else ("", [])


def _sums_by_period(rows, query: StatsQuery) -> dict[date, dict]:
    """The additive counters of rollup rows (with a "day"), summed per day, week or month of the query."""
    sums: dict[date, dict] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        period = period_start(row["day"], query.granularity)
        for name in ADDITIVE:
            sums[period][name] += row[name] or 0
    return sums


def _periods(query: StatsQuery) -> list[date]:
    return sorted({period_start(day, query.granularity) for day in query.days()})


def _period_days(start: date, query: StatsQuery) -> dict:
    """A series row's period and the days of the range it counts: a range from a Tuesday to a Sunday counts
    six days of its first week, whose period is still the Monday before the range."""
    if query.granularity == Granularity.WEEK:
        end = start + timedelta(days=6)
    elif query.granularity == Granularity.MONTH:
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    else:
        end = start
    return {"period": start.isoformat(), "first_day": max(start, query.start).isoformat(),
            "last_day": min(end, query.end).isoformat()}


def _sums(rows) -> dict:
    sums = dict.fromkeys(ADDITIVE, 0)
    for row in rows:
        for name in ADDITIVE:
            sums[name] += row[name]
    return sums


def _metrics(sums: dict, unique_visitors: int, share_users: int) -> dict:
    visits = sums.get("visits") or 0
    return {
        "visits": visits,
        "page_views": sums.get("page_views") or 0,
        "unique_visitors": unique_visitors,
        "new_users": sums.get("new_users") or 0,
        "avg_stay_seconds": ratio(sums.get("stay_seconds") or 0, visits, 1),
        "shares": sums.get("shares") or 0,
        "share_users": share_users,
        "share_opens": sums.get("share_opens") or 0,
        "payments": sums.get("payments") or 0,
        "revenue": round((sums.get("revenue_fen") or 0) / 100, 2),
    }


def _fission(daily: list[dict], totals: dict, depth_rows: list[tuple], chain_rows: list[tuple]) -> dict:
    via = sum(row["new_users_via_share"] for row in daily)
    active, sharers = totals["unique_visitors"], totals["share_users"]
    sums = {"shares": totals["shares"], "opens": totals["share_opens"], "via": via}
    depths = {d: n for d, n in depth_rows if n}
    return {
        "share_rate": ratio(sharers, active, 4),
        "opens_per_share": ratio(sums["opens"] or 0, sums["shares"], 4),
        "k_factor": ratio(sums["via"] or 0, sharers, 4),
        "new_users_via_share": sums["via"] or 0,
        "max_depth": max(depths, default=0),
        "depth_distribution": [{"depth": d, "shares": n} for d, n in depths.items()],
        "top_chains": _top_chains(chain_rows),
    }


def _top_chains(rows: list[tuple]) -> list[dict]:
    """The largest cascades: size, depth, and shares / opens / new users per level."""
    return [
        {"root_share_id": share_id_as_sent(root), "root_sharer": _pseudonym(user_hash), "shares": size,
         "depth": depth, "opens": opens, "new_users": new_users, "levels": json.loads(levels)}
        for root, user_hash, size, depth, opens, new_users, levels in rows
    ]


def share_id_as_sent(share_id: str) -> str:
    """A stored share id, `<host>:<id>` (`stats.drain._host_scoped`), as its host sent it."""
    return share_id.partition(":")[2] or share_id


def _pseudonym(user_hash: str) -> str:
    return f"user-{user_hash[:8]}" if user_hash else ""


def gate_answers(*, host: str = "", appid: str = "", start: date, end: date) -> list[dict]:
    """The share gate's answers per scene and reason: what each cap allowed and denied."""
    rows = GateDaily.objects.filter(day__gte=start, day__lte=end)
    if host:
        rows = rows.filter(host=host)
    if appid:
        rows = rows.filter(appid=appid)
    return list(rows.values("scene", "allowed", "reason").annotate(count=Sum("count")).order_by("scene", "-count"))


def host_program_totals(*, host: str, start: date, end: date, limit: int | None = 20) -> list[dict]:
    """Programs on a host by visits in the range, for the host's operators."""
    rows = (DailyStats.objects.filter(host=host, day__gte=start, day__lte=end)
            .values(appid=F("program__appid"), name=F("program__name"))
            .annotate(visits=Sum("visits"), shares=Sum("shares"), new_users=Sum("new_users"),
                      revenue_fen=Sum("revenue_fen"))
            .order_by("-visits")[:limit])
    return [{**r, "revenue": round((r.pop("revenue_fen") or 0) / 100, 2)} for r in rows]


HOST_SERIES = ("visits", "new_users", "shares", "share_opens", "payments", "revenue")


def host_series(*, host: str, query: StatsQuery) -> list[dict]:
    """A host's additive metrics over every program, per day, week or month of the query (distinct users are
    counted per program, so a host's series carries none)."""
    rows = (DailyStats.objects.filter(host=host, day__gte=query.start, day__lte=query.end).values("day")
            .annotate(**{name: Sum(name) for name in ADDITIVE}))
    sums = _sums_by_period(rows, query)
    return [{**_period_days(p, query), **{k: v for k, v in _metrics(sums[p], 0, 0).items() if k in HOST_SERIES}}
            for p in _periods(query)]


def host_scene_totals(*, host: str, start: date, end: date) -> list[dict]:
    rows = (DailyStats.objects.filter(host=host, day__gte=start, day__lte=end).values("scene")
            .annotate(**{name: Sum(name) for name in ADDITIVE}).order_by("scene"))
    # Distinct users are counted per program (each has its own user numbering), so a host's scene
    # totals carry only the additive metrics.
    return [
        {"scene": r["scene"], **{k: v for k, v in _metrics(r, 0, 0).items() if k not in ("unique_visitors", "share_users")}}
        for r in rows
    ]


def host_totals(*, host: str, start: date, end: date) -> dict:
    """A host's additive metrics over every program from `start` to `end` (no distinct users: see
    `host_series`)."""
    sums = DailyStats.objects.filter(host=host, day__gte=start, day__lte=end).aggregate(
        **{name: Sum(name) for name in ADDITIVE})
    return {k: v for k, v in _metrics(sums, 0, 0).items() if k in HOST_SERIES}


def host_totals_compared(*, host: str, query: StatsQuery, today: date) -> tuple[dict, Comparison]:
    """A host's totals of `query` and what their change compares, as a program's (`_compared_days`)."""
    totals = host_totals(host=host, start=query.start, end=query.end)
    return totals, _comparison(totals, query, today, lambda first, last: host_totals(host=host, start=first, end=last))
