"""Reads of the stats: every number a dashboard, the API or a CSV shows comes from here.

All reads go to the rollups (`DailyStats`, `UserSet`, `Share`, `GateDaily`), never to the raw
events, so their cost depends on the date range and the number of users, not of events.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet, Sum

from programs.models import MiniProgram
from stats import bitmaps
from stats.models import DailyStats, GateDaily, ShareChain, ShareDepthDaily, UserSet

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


def period_start(day: date, granularity: str) -> date:
    if granularity == Granularity.WEEK:
        return day - timedelta(days=day.weekday())  # Monday
    if granularity == Granularity.MONTH:
        return day.replace(day=1)
    return day


def program_stats(program: MiniProgram, query: StatsQuery) -> dict:
    daily = _daily_rows(program, query)
    totals = _totals(program, query, daily)
    return {
        "program": {"appid": program.appid, "name": program.name},
        "range": {"from": query.start.isoformat(), "to": query.end.isoformat(), "host": query.host,
                  "scene": query.scene, "granularity": query.granularity},
        "totals": totals,
        "series": _series(program, query, daily),
        "breakdown": _breakdown(program, query),
        "retention": _retention(program, query),
        "fission": _fission(program, query, daily, totals),
    }


def _daily_rows(program: MiniProgram, query: StatsQuery) -> QuerySet[DailyStats]:
    rows = DailyStats.objects.filter(program=program, day__gte=query.start, day__lte=query.end)
    if query.scene:
        rows = rows.filter(scene=query.scene)
    elif query.host:
        rows = rows.filter(host=query.host)
    return rows


def _user_sets(program: MiniProgram, query: StatsQuery, kind: str, start: date, end: date) -> QuerySet:
    host, scene = query.level
    return UserSet.objects.filter(program=program, host=host, scene=scene, kind=kind, day__gte=start, day__lte=end)


def _distinct(program: MiniProgram, query: StatsQuery, kind: str, start: date, end: date) -> int:
    """Exact number of distinct users of `kind` between two days: a union of bitmaps."""
    return bitmaps.union(_user_sets(program, query, kind, start, end).values_list("bits", flat=True)).bit_count()


def _metrics(sums: dict, unique_visitors: int, share_users: int) -> dict:
    visits = sums.get("visits") or 0
    return {
        "visits": visits,
        "page_views": sums.get("page_views") or 0,
        "unique_visitors": unique_visitors,
        "new_users": sums.get("new_users") or 0,
        "avg_stay_seconds": round((sums.get("stay_seconds") or 0) / visits, 1) if visits else 0,
        "shares": sums.get("shares") or 0,
        "share_users": share_users,
        "share_opens": sums.get("share_opens") or 0,
        "payments": sums.get("payments") or 0,
        "revenue": round((sums.get("revenue_fen") or 0) / 100, 2),
    }


def _totals(program: MiniProgram, query: StatsQuery, daily: QuerySet) -> dict:
    sums = daily.aggregate(**{name: Sum(name) for name in ADDITIVE})
    return _metrics(
        sums,
        _distinct(program, query, UserSet.Kind.ACTIVE, query.start, query.end),
        _distinct(program, query, UserSet.Kind.SHARERS, query.start, query.end),
    )


def _series(program: MiniProgram, query: StatsQuery, daily: QuerySet) -> list[dict]:
    sums: dict[date, dict] = defaultdict(lambda: defaultdict(int))
    for row in daily.values("day", *ADDITIVE):
        period = period_start(row["day"], query.granularity)
        for name in ADDITIVE:
            sums[period][name] += row[name]
    uniques = _period_uniques(program, query)
    periods = sorted({period_start(day, query.granularity) for day in query.days()})
    return [
        {"period": p.isoformat(), **_metrics(sums[p], uniques[(p, UserSet.Kind.ACTIVE)], uniques[(p, UserSet.Kind.SHARERS)])}
        for p in periods
    ]


def _period_uniques(program: MiniProgram, query: StatsQuery) -> dict[tuple, int]:
    """Distinct users per period: day counts as stored; weeks and months are unions, never sums."""
    result: dict[tuple, int] = defaultdict(int)
    kinds = [UserSet.Kind.ACTIVE, UserSet.Kind.SHARERS]
    rows = UserSet.objects.filter(
        program=program, host=query.level[0], scene=query.level[1], kind__in=kinds,
        day__gte=query.start, day__lte=query.end,
    )
    if query.granularity == Granularity.DAY:
        for day, kind, count in rows.values_list("day", "kind", "count"):
            result[(day, kind)] = count
        return result
    unions: dict[tuple, int] = defaultdict(int)
    for day, kind, bits in rows.values_list("day", "kind", "bits"):
        unions[(period_start(day, query.granularity), kind)] |= bitmaps.as_int(bytes(bits))
    for key, union in unions.items():
        result[key] = union.bit_count()
    return result


def _breakdown(program: MiniProgram, query: StatsQuery) -> list[dict]:
    rows = DailyStats.objects.filter(program=program, day__gte=query.start, day__lte=query.end)
    if query.host:
        rows = rows.filter(host=query.host)
    if query.scene:
        rows = rows.filter(scene=query.scene)
    grouped = rows.values("host", "scene").annotate(**{name: Sum(name) for name in ADDITIVE}).order_by("host", "scene")
    uniques = _scene_uniques(program, query)
    return [
        {"host": g["host"], "scene": g["scene"],
         **_metrics(g, *uniques.get(g["scene"], (0, 0)))}
        for g in grouped
    ]


def _scene_uniques(program: MiniProgram, query: StatsQuery) -> dict[str, tuple[int, int]]:
    unions: dict[tuple, int] = defaultdict(int)
    rows = UserSet.objects.filter(program=program, day__gte=query.start, day__lte=query.end).exclude(scene="")
    rows = rows.filter(kind__in=[UserSet.Kind.ACTIVE, UserSet.Kind.SHARERS])
    for scene, kind, bits in rows.values_list("scene", "kind", "bits"):
        unions[(scene, kind)] |= bitmaps.as_int(bytes(bits))
    scenes = {scene for scene, _ in unions}
    return {
        s: (unions[(s, UserSet.Kind.ACTIVE)].bit_count(), unions[(s, UserSet.Kind.SHARERS)].bit_count())
        for s in scenes
    }


def _retention(program: MiniProgram, query: StatsQuery) -> list[dict]:
    """Per cohort day: new users, and the share of them active N days later (None until that day comes)."""
    cohorts = {day: bytes(bits) for day, bits in _user_sets(program, query, UserSet.Kind.NEW, query.start, query.end)
               .values_list("day", "bits")}
    if not cohorts:
        return []
    last = query.end + timedelta(days=max(RETENTION_DAYS))
    active = {day: bitmaps.as_int(bytes(bits)) for day, bits in
              _user_sets(program, query, UserSet.Kind.ACTIVE, query.start, last).values_list("day", "bits")}
    latest = max(active, default=query.start)
    table = []
    for day in sorted(cohorts):
        cohort = bitmaps.as_int(cohorts[day])
        size = cohort.bit_count()
        row = {"cohort": day.isoformat(), "new_users": size}
        for n in RETENTION_DAYS:
            later = day + timedelta(days=n)
            row[f"day_{n}"] = (
                None if later > latest or not size else round((cohort & active.get(later, 0)).bit_count() / size, 4)
            )
        table.append(row)
    return table


def _scoped(rows: QuerySet, query: StatsQuery) -> QuerySet:
    if query.scene:
        return rows.filter(scene=query.scene)
    return rows.filter(host=query.host) if query.host else rows


def _fission(program: MiniProgram, query: StatsQuery, daily: QuerySet, totals: dict) -> dict:
    via = daily.aggregate(via=Sum("new_users_via_share"))["via"] or 0
    active, sharers = totals["unique_visitors"], totals["share_users"]
    sums = {"shares": totals["shares"], "opens": totals["share_opens"], "via": via}
    depth_rows = _scoped(ShareDepthDaily.objects.filter(program=program, day__gte=query.start, day__lte=query.end),
                         query)
    depths = {d: n for d, n in depth_rows.values_list("depth").annotate(n=Sum("shares")).order_by("depth") if n}
    return {
        "share_rate": round(sharers / active, 4) if active else 0,
        "opens_per_share": round((sums["opens"] or 0) / sums["shares"], 4) if sums["shares"] else 0,
        "k_factor": round((sums["via"] or 0) / sharers, 4) if sharers else 0,
        "new_users_via_share": sums["via"] or 0,
        "max_depth": max(depths, default=0),
        "depth_distribution": [{"depth": d, "shares": n} for d, n in depths.items()],
        "top_chains": _top_chains(program, query),
    }


def _top_chains(program: MiniProgram, query: StatsQuery) -> list[dict]:
    """The largest cascades that started in the range: size, depth, and shares / opens / new users per level."""
    chains = _scoped(ShareChain.objects.filter(program=program, day__gte=query.start, day__lte=query.end), query)
    return [
        {"root_share_id": c.root_share_id, "root_sharer": _pseudonym(c.root_user_hash), "shares": c.size,
         "depth": c.depth, "opens": c.opens, "new_users": c.new_users, "levels": c.levels}
        for c in chains.order_by("-size", "-opens", "root_share_id")[:TOP_CHAINS]
    ]


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


def host_program_totals(*, host: str, start: date, end: date, limit: int = 20) -> list[dict]:
    """Programs on a host by visits in the range, for the host's operators."""
    rows = (DailyStats.objects.filter(host=host, day__gte=start, day__lte=end)
            .values("program__appid", "program__name")
            .annotate(visits=Sum("visits"), shares=Sum("shares"), new_users=Sum("new_users"),
                      revenue_fen=Sum("revenue_fen"))
            .order_by("-visits")[:limit])
    return [{**r, "revenue": round((r.pop("revenue_fen") or 0) / 100, 2)} for r in rows]


def host_scene_totals(*, host: str, start: date, end: date) -> list[dict]:
    rows = (DailyStats.objects.filter(host=host, day__gte=start, day__lte=end).values("scene")
            .annotate(**{name: Sum(name) for name in ADDITIVE}).order_by("scene"))
    # Distinct users are counted per program (each has its own user numbering), so a host's scene
    # totals carry only the additive metrics.
    return [
        {"scene": r["scene"], **{k: v for k, v in _metrics(r, 0, 0).items() if k not in ("unique_visitors", "share_users")}}
        for r in rows
    ]




def program_totals(program: MiniProgram, query: StatsQuery) -> dict:
    return _totals(program, query, _daily_rows(program, query))


def previous_period(query: StatsQuery) -> StatsQuery:
    """The range of the same length just before `query`'s, for "change against the previous period"."""
    length = (query.end - query.start).days + 1
    return StatsQuery(start=query.start - timedelta(days=length), end=query.start - timedelta(days=1),
                      host=query.host, scene=query.scene, granularity=query.granularity)
