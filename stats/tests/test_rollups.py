"""Rollups and what the selectors read from them: exact distinct counts, retention, fission, chains."""

from datetime import date, datetime, timedelta

from django.db.models import Count

from stats.events import user_hash
from stats.ingest import user_hash_key
from stats.models import RawEvent, Share
from stats.selectors import (
    Granularity,
    StatsQuery,
    period_start,
    previous_period,
    program_stats,
    program_stats_compared,
    program_totals,
)
from stats.selectors import share_id_as_sent as as_sent
from stats.tests.conftest import SHANGHAI, event


def _day(days_ago: int) -> date:
    return (datetime.now(SHANGHAI) - timedelta(days=days_ago)).date()


def program_stats_with_previous(program, query: StatsQuery) -> tuple[dict, dict]:
    """The stats and the whole previous period's totals, as read once the range is over (no day partial)."""
    stats, compared = program_stats_compared(program, query, query.end + timedelta(days=1))
    return stats, compared.previous


def _query(days: int = 6, **kw) -> StatsQuery:
    return StatsQuery(start=_day(days), end=_day(0), **kw)


def test_unique_visitors_over_a_range_are_a_de_duplication_not_a_sum(program, post, at):
    # u1 visits on three days, u2 on two, u3 once: 6 daily uniques, 3 distinct users.
    visits = [("u1", 0), ("u1", 1), ("u1", 2), ("u2", 1), ("u2", 3), ("u3", 0)]
    post([event(f"e{i}", "visit", user, at(ago)) for i, (user, ago) in enumerate(visits)])
    stats = program_stats(program, _query())
    assert stats["totals"]["unique_visitors"] == 3
    assert sum(p["unique_visitors"] for p in stats["series"]) == 6
    assert stats["totals"]["visits"] == 6


def test_weekly_and_monthly_series_de_duplicate_within_each_period(program, post, at, settings):
    settings.STATS_LATE_EVENT_DAYS = 30
    visits = [("u1", 0), ("u1", 1), ("u1", 8), ("u2", 8), ("u2", 9)]
    post([event(f"e{i}", "visit", user, at(ago)) for i, (user, ago) in enumerate(visits)])
    for granularity in (Granularity.WEEK, Granularity.MONTH):
        stats = program_stats(program, _query(days=9, granularity=granularity))
        expected: dict = {}
        for user, ago in visits:
            expected.setdefault(period_start(_day(ago), granularity).isoformat(), set()).add(user)
        got = {p["period"]: p["unique_visitors"] for p in stats["series"] if p["visits"]}
        assert got == {period: len(users) for period, users in expected.items()}


def test_weeks_start_on_monday():
    assert period_start(date(2026, 11, 29), Granularity.WEEK) == date(2026, 11, 23)  # a Sunday
    assert period_start(date(2026, 11, 30), Granularity.WEEK) == date(2026, 11, 30)  # a Monday
    assert period_start(date(2026, 11, 30), Granularity.MONTH) == date(2026, 11, 1)


def test_unique_visitors_match_count_distinct_on_the_raw_events(program, post, at):
    events = [event(f"e{i}", "visit", f"u{i % 17}", at(i % 5), scene=("weibo.private_message", "weibo.profile")[i % 2])
              for i in range(120)]
    post(events)
    raw = RawEvent.objects.filter(program_id=program.pk, type="visit").aggregate(n=Count("user_hash", distinct=True))
    assert program_stats(program, _query())["totals"]["unique_visitors"] == raw["n"] == 17
    per_scene = RawEvent.objects.filter(program_id=program.pk, scene="weibo.profile").aggregate(
        n=Count("user_hash", distinct=True))["n"]
    assert program_stats(program, _query(scene="weibo.profile"))["totals"]["unique_visitors"] == per_scene


def test_filters_by_host_and_scene(program, post, at):
    post([event("a", "visit", "u1", at(0)), event("b", "visit", "u2", at(0), scene="weibo.profile")])
    assert program_stats(program, _query(scene="weibo.profile"))["totals"]["visits"] == 1
    assert program_stats(program, _query(host="weibo"))["totals"]["visits"] == 2
    assert program_stats(program, _query(host="alipay"))["totals"]["visits"] == 0
    breakdown = program_stats(program, _query())["breakdown"]
    assert [(b["scene"], b["visits"], b["unique_visitors"]) for b in breakdown] == [
        ("weibo.private_message", 1, 1), ("weibo.profile", 1, 1)]


def test_retention_is_the_share_of_a_cohort_active_n_days_later(program, post, at):
    # Three new users five days ago; two come back the next day, one of them also three days later.
    events = [event(f"n{u}", "new_user", u, at(5)) for u in ("a", "b", "c")]
    events += [event(f"v{u}0", "visit", u, at(5)) for u in ("a", "b", "c")]
    events += [event("va1", "visit", "a", at(4)), event("vb1", "visit", "b", at(4)), event("va3", "visit", "a", at(2))]
    post(events)
    cohort = next(r for r in program_stats(program, _query())["retention"] if r["cohort"] == _day(5).isoformat())
    assert cohort["new_users"] == 3
    assert cohort["day_1"] == round(2 / 3, 4)
    assert cohort["day_2"] == 0
    assert cohort["day_3"] == round(1 / 3, 4)
    assert cohort["day_30"] is None  # that day has not come


def test_fission_share_rate_opens_per_share_and_k_factor(program, post, at):
    events = [event(f"v{u}", "visit", u, at(1)) for u in ("a", "b", "c", "d")]
    events += [
        event("s1", "share", "a", at(1), share_id="S1"),
        event("s2", "share", "a", at(1), share_id="S2"),
        event("s3", "share", "b", at(1), share_id="S3", parent_share_id="S1"),
        event("o1", "share_open", "x", at(1), share_id="S1"),
        event("o2", "share_open", "y", at(1), share_id="S1"),
        event("o3", "share_open", "z", at(1), share_id="S3"),
        event("n1", "new_user", "x", at(1), share_id="S1"),
        event("n2", "new_user", "z", at(1), share_id="S3"),
        event("n3", "new_user", "q", at(1)),
    ]
    post(events)
    fission = program_stats(program, _query())["fission"]
    assert fission["share_rate"] == 0.5  # 2 sharers of 4 active users
    assert fission["opens_per_share"] == 1.0  # 3 opens / 3 shares
    assert fission["k_factor"] == 1.0  # 2 new users through a share / 2 sharers
    assert fission["max_depth"] == 2
    assert fission["depth_distribution"] == [{"depth": 1, "shares": 2}, {"depth": 2, "shares": 1}]
    top = fission["top_chains"][0]
    assert (top["root_share_id"], top["shares"], top["depth"], top["opens"], top["new_users"]) == ("S1", 2, 2, 3, 2)
    assert top["levels"] == [{"depth": 1, "shares": 1, "opens": 2, "new_users": 1},
                             {"depth": 2, "shares": 1, "opens": 1, "new_users": 1}]
    assert top["root_sharer"] == "user-" + user_hash(user_hash_key(), "weibo", "a")[:8]  # a pseudonym, not "a"


def test_a_child_share_that_arrives_before_its_parent_is_re_placed(program, post, at):
    post([event("c", "share", "u3", at(0), share_id="C", parent_share_id="B")])
    assert Share.objects.get(share_id="weibo:C").depth == 2  # at least 2 until the parent comes
    post([event("b", "share", "u2", at(0), share_id="B", parent_share_id="A")])
    post([event("a", "share", "u1", at(0), share_id="A")])
    assert _placed() == {"A": (1, "A"), "B": (2, "A"), "C": (3, "A")}
    fission = program_stats(program, _query())["fission"]
    assert fission["depth_distribution"] == [{"depth": d, "shares": 1} for d in (1, 2, 3)]
    assert [(c["root_share_id"], c["shares"], c["depth"]) for c in fission["top_chains"]] == [("A", 3, 3)]
    assert fission["top_chains"][0]["root_sharer"] == "user-" + user_hash(user_hash_key(), "weibo", "u1")[:8]


def test_a_lone_share_is_not_a_chain(program, post, at):
    post([event("a", "share", "u1", at(0), share_id="A"), event("o", "share_open", "u2", at(0), share_id="A")])
    fission = program_stats(program, _query())["fission"]
    assert fission["top_chains"] == []
    assert fission["depth_distribution"] == [{"depth": 1, "shares": 1}]


def test_a_long_chain_in_one_batch_is_placed_whatever_the_order(program, post, at):
    chain = [event(f"s{i}", "share", f"u{i}", at(0), share_id=f"S{i}",
                   **({"parent_share_id": f"S{i - 1}"} if i else {})) for i in range(1500)]
    post(list(reversed(chain))[:1000])
    post(list(reversed(chain))[1000:])
    assert Share.objects.get(share_id="weibo:S1499").depth == 1500
    assert program_stats(program, _query())["fission"]["max_depth"] == 1500


def _placed() -> dict[str, tuple[int, str]]:
    """Each share's depth and root, by the ids the host sent (stored as `weibo:<id>`)."""
    return {as_sent(sid): (depth, as_sent(root))
            for sid, depth, root in Share.objects.values_list("share_id", "depth", "root_share_id")}


def test_a_cycle_of_parents_in_one_batch_starts_at_the_share_that_closes_it(program, post, at):
    """No real sharing makes a cycle (a parent is shared before its child): the link that closes it is ignored."""
    post([event("x", "share", "u1", at(0), share_id="X", parent_share_id="Y"),
          event("y", "share", "u2", at(0), share_id="Y", parent_share_id="X")])

    assert _placed() == {"Y": (2, "X"), "X": (1, "X")}
    fission = program_stats(program, _query())["fission"]
    assert (fission["max_depth"], fission["depth_distribution"]) == (2, [{"depth": 1, "shares": 1},
                                                                           {"depth": 2, "shares": 1}])


def test_a_cycle_of_parents_across_batches_starts_at_the_share_that_closes_it(program, post, at):
    post([event("a", "share", "u1", at(0), share_id="A", parent_share_id="B")])  # B not here yet: A waits at 2
    post([event("c", "share", "u3", at(0), share_id="C", parent_share_id="A")])
    assert _placed() == {"A": (2, "B"), "C": (3, "B")}

    post([event("b", "share", "u2", at(0), share_id="B", parent_share_id="C")])  # C descends from B: a cycle

    assert _placed() == {"B": (1, "B"), "A": (2, "B"), "C": (3, "B")}
    [chain] = program_stats(program, _query())["fission"]["top_chains"]
    assert (chain["root_share_id"], chain["depth"], [level["shares"] for level in chain["levels"]]) == ("B", 3, [1, 1, 1])


def test_a_share_sent_again_under_a_new_event_id_counts_once(program, post, at):
    """A share is its share id: the repeat (another event id, even another user or day) is kept raw only."""
    post([event("s1", "share", "u1", at(1), share_id="S1"), event("s1-again", "share", "u1", at(1), share_id="S1")])
    post([event("s1-later", "share", "u2", at(0), share_id="S1"),
          event("o1", "share_open", "u3", at(0), share_id="S1")])

    stats = program_stats(program, _query())
    assert (stats["totals"]["shares"], stats["totals"]["share_users"], stats["totals"]["share_opens"]) == (1, 1, 1)
    assert stats["fission"]["opens_per_share"] == 1
    assert sum(level["shares"] for level in stats["fission"]["depth_distribution"]) == 1
    assert RawEvent.objects.filter(type="share").count() == 3


def test_a_person_is_new_once_and_in_one_retention_cohort(program, post, at):
    """A second new_user for the same user, in the same batch or later, counts nothing: not in new users,
    not in a second cohort, not as a second new user on the share they came through."""
    post([event("s1", "share", "u0", at(3), share_id="S1"),
          event("n1", "new_user", "u1", at(2), share_id="S1"), event("n1-again", "new_user", "u1", at(2, 11))])
    post([event("n1-later", "new_user", "u1", at(1), share_id="S1"), event("n2", "new_user", "u2", at(1)),
          event("v1", "visit", "u1", at(0))])

    stats = program_stats(program, _query())
    assert (stats["totals"]["new_users"], stats["fission"]["new_users_via_share"]) == (2, 1)
    cohorts = {row["cohort"]: row["new_users"] for row in stats["retention"]}
    assert cohorts == {_day(2).isoformat(): 1, _day(1).isoformat(): 1}
    assert Share.objects.get(share_id="weibo:S1").new_users == 1
    assert [s["new_users"] for s in stats["series"]] == [0, 0, 0, 0, 1, 1, 0]
    assert RawEvent.objects.filter(type="new_user").count() == 4


def test_of_two_new_users_in_one_batch_the_earliest_counts(program, post, at):
    post([event("late", "new_user", "u1", at(1)), event("early", "new_user", "u1", at(3))])

    assert {row["cohort"] for row in program_stats(program, _query())["retention"]} == {_day(3).isoformat()}


def test_an_empty_range_has_zeros_not_errors(program):
    stats = program_stats(program, _query())
    assert stats["totals"]["visits"] == 0 and stats["totals"]["avg_stay_seconds"] == 0
    assert stats["fission"] == {"share_rate": 0, "opens_per_share": 0, "k_factor": 0, "new_users_via_share": 0,
                                "max_depth": 0, "depth_distribution": [], "top_chains": []}
    assert len(stats["series"]) == 7 and stats["retention"] == []


def test_the_dashboards_single_reading_gives_what_separate_reads_give(program, post, at):
    # Users in both weeks, in two scenes, a cohort that comes back, shares: every part of the answer.
    events = [event(f"v{u}{d}", "visit", u, at(d), scene=scene)
              for d, users, scene in ((6, "abc", "weibo.profile"), (5, "ad", "weibo.private_message"),
                                      (3, "ab", "weibo.profile"), (1, "bce", "weibo.private_message"), (0, "e", "weibo.profile"))
              for u in users]
    events += [event("n1", "new_user", "e", at(1)), event("s1", "share", "b", at(6), share_id="S1"),
               event("s2", "share", "c", at(1), share_id="S2", parent_share_id="S1")]
    post(events)
    # Four days (0-3) against the four before (4-7), the late-event window.
    for query in (_query(3), _query(3, host="weibo"), _query(3, scene="weibo.profile"), _query(3, host="alipay"),
                  _query(3, granularity=Granularity.WEEK), _query(6, granularity=Granularity.MONTH)):
        stats, previous = program_stats_with_previous(program, query)
        assert stats == program_stats(program, query)
        assert previous == program_totals(program, previous_period(query))
    stats, previous = program_stats_with_previous(program, _query(3))
    assert (stats["totals"]["unique_visitors"], previous["unique_visitors"]) == (4, 4)  # a b c e; a b c d
    assert (stats["totals"]["share_users"], previous["share_users"]) == (1, 1)
    profile = program_stats_with_previous(program, _query(3, scene="weibo.profile"))[1]
    assert (profile["visits"], profile["unique_visitors"]) == (3, 3)


def test_the_dashboard_reads_the_rollups_in_a_fixed_number_of_queries(program, post, at, django_assert_max_num_queries):
    post([event(f"v{d}{u}", "visit", f"u{u}", at(d)) for d in range(20) for u in range(5)])
    with django_assert_max_num_queries(4):  # counters, user sets, depths, chains: whatever the range
        program_stats_with_previous(program, _query(days=29))


def test_a_range_reaching_today_compares_its_complete_days_with_as_many_before(program, post, at):
    """Today is not over: compared with a whole day, traffic that rose showed a fall on the cards."""
    post([event(f"v{u}{d}", "visit", u, at(d)) for d, users in ((5, "abc"), (4, "abcd"), (3, "a"),
                                                                 (2, "ab"), (1, "abc"), (0, "a"))
          for u in users])
    today = _day(0)
    stats, compared = program_stats_compared(program, _query(2), today)  # days 2..0 against 5..3

    assert compared.complete_days_only
    assert (compared.days, compared.previous_days) == ((_day(2), _day(1)), (_day(5), _day(4)))
    assert compared.current == program_totals(program, StatsQuery(start=_day(2), end=_day(1)))  # 2..1
    assert compared.previous == program_totals(program, StatsQuery(start=_day(5), end=_day(4)))  # 5..4
    assert (compared.current["visits"], compared.previous["visits"]) == (5, 7)
    assert (compared.current["unique_visitors"], compared.previous["unique_visitors"]) == (3, 4)
    assert stats["totals"]["visits"] == 6  # the cards still show the whole range, today included

    ended = StatsQuery(start=_day(4), end=_day(1))
    _, whole = program_stats_compared(program, ended, today)
    assert not whole.complete_days_only
    assert whole.previous == program_totals(program, previous_period(ended))


def test_today_alone_is_not_compared(program, post, at):
    """It was compared with the whole of yesterday: a morning showed a fall of nine tenths."""
    post([event(f"v{d}{u}", "visit", u, at(d)) for d, users in ((1, "abcd"), (0, "a")) for u in users])
    stats, compared = program_stats_compared(program, StatsQuery(start=_day(0), end=_day(0)), _day(0))
    assert compared.previous is None
    assert compared.current == stats["totals"]
    assert stats["totals"]["visits"] == 1


def test_the_migration_gives_users_counted_new_before_it_the_day_of_their_first_new_set(program, db):
    """Stats stored before `StatsUser.new_on` existed: the day comes from the bitmaps, the raw events may be gone."""
    import importlib

    from django.apps import apps

    from stats import bitmaps
    from stats.models import StatsUser, UserSet

    migration = importlib.import_module("stats.migrations.0010_stats_user_new_on")
    for ordinal in range(4):
        StatsUser.objects.create(program=program, user_hash=f"h{ordinal}", ordinal=ordinal, first_day=_day(5))
    for day, ordinals, host in ((_day(3), [0, 2], ""), (_day(2), [0, 1], ""), (_day(4), [3], "weibo")):
        UserSet.objects.create(program=program, host=host, scene="", day=day, kind=UserSet.Kind.NEW,
                               bits=bitmaps.with_bits(b"", ordinals)[0])

    migration.backfill_new_on(apps, None)

    # h3 is only in a one-host set, which every all-hosts set repeats when the drain writes it: never alone.
    assert dict(StatsUser.objects.values_list("user_hash", "new_on")) == {
        "h0": _day(3), "h1": _day(2), "h2": _day(3), "h3": None}


def test_averages_and_rates_round_halves_up_as_a_hand_check_does(program, post, at):
    """2307 s over 20 visits is 115.35 s: 115.4, where round() on the float gave 115.3."""
    post([event(f"v{i}", "visit", f"u{i}", at(0), stay_seconds=122 if i == 0 else 115) for i in range(20)])

    assert program_stats(program, _query())["totals"]["avg_stay_seconds"] == 115.4


def test_the_rounding_rule_itself():
    from stats.numbers import percent, ratio

    assert (ratio(2307, 20, 1), ratio(1, 8, 2), ratio(-1, 8, 2), ratio(5, 0, 1)) == (115.4, 0.13, -0.13, 0)
    assert (percent(0.3035), percent(7, 15), percent(1, 3, 0)) == (30.4, 46.7, 33.0)


def test_a_series_row_says_which_days_of_its_period_the_range_counts(program):
    weeks = program_stats(program, StatsQuery(start=date(2026, 11, 3), end=date(2026, 11, 18),
                                              granularity=Granularity.WEEK))["series"]
    months = program_stats(program, StatsQuery(start=date(2026, 1, 20), end=date(2026, 3, 5),
                                               granularity=Granularity.MONTH))["series"]

    assert [(w["period"], w["first_day"], w["last_day"]) for w in weeks] == [
        ("2026-11-02", "2026-11-03", "2026-11-08"), ("2026-11-09", "2026-11-09", "2026-11-15"),
        ("2026-11-16", "2026-11-16", "2026-11-18")]
    assert [(m["period"], m["first_day"], m["last_day"]) for m in months] == [
        ("2026-01-01", "2026-01-20", "2026-01-31"), ("2026-02-01", "2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-01", "2026-03-05")]


def test_a_user_seen_before_is_new_once_from_their_first_new_user(program, post, at):
    from stats.models import StatsUser

    post([event("v1", "visit", "u5", at(3))])
    post([event("n1", "new_user", "u5", at(1))])
    post([event("n2", "new_user", "u5", at(0))])

    stats = program_stats(program, _query())
    assert stats["totals"]["new_users"] == 1
    assert [row["cohort"] for row in stats["retention"]] == [_day(1).isoformat()]
    assert StatsUser.objects.get().new_on == _day(1)


def test_two_hosts_sharing_one_share_id_keep_two_shares(program, post, at):
    """Share ids are each host's own: Alipay's `S1` was taken for a repeat of Weibo's, and its open and new user
    were counted on Weibo's chain (a stats walk)."""
    from hosts.models import Host

    alipay = Host.objects.get(code="alipay")
    post([event("w1", "share", "u1", at(1), share_id="S1"),
          event("w2", "share", "u2", at(1), share_id="S2", parent_share_id="S1"),
          event("wo", "share_open", "u3", at(1), share_id="S1")])
    post([event("a1", "share", "p1", at(0), scene="alipay.life_account", share_id="S1"),
          event("ao", "share_open", "p2", at(0), scene="alipay.life_account", share_id="S1"),
          event("an", "new_user", "p2", at(0), scene="alipay.life_account", share_id="S1")], host=alipay)

    weibo_only, alipay_only = program_stats(program, _query(host="weibo")), program_stats(program, _query(host="alipay"))
    assert (weibo_only["totals"]["shares"], alipay_only["totals"]["shares"]) == (2, 1)
    [weibo_chain] = weibo_only["fission"]["top_chains"]
    assert (weibo_chain["root_share_id"], weibo_chain["shares"], weibo_chain["opens"], weibo_chain["new_users"]) == (
        "S1", 2, 1, 0)
    assert dict(Share.objects.values_list("share_id", "opens")) == {"weibo:S1": 1, "weibo:S2": 0, "alipay:S1": 1}
    assert set(RawEvent.objects.filter(type="share").values_list("share_id", "parent_share_id")) == {
        ("S1", ""), ("S2", "S1")}  # the raw rows keep the ids as sent


def test_a_share_id_sent_twice_in_one_drain_is_placed_where_it_is_counted(program, post, at):
    """The first arrival counts (day, scene, user); the share was placed from the last one (a stats walk)."""
    post([event("p", "share", "u0", at(2), scene="weibo.profile", share_id="P"),
          event("t1", "share", "u1", at(1), scene="weibo.lottery", share_id="T"),
          event("t2", "share", "u2", at(0), scene="weibo.hot_search", share_id="T", parent_share_id="P")])

    lottery = program_stats(program, _query(scene="weibo.lottery"))
    hot_search = program_stats(program, _query(scene="weibo.hot_search"))
    assert (lottery["totals"]["shares"], lottery["fission"]["max_depth"]) == (1, 1)
    assert (hot_search["totals"]["shares"], hot_search["fission"]["max_depth"]) == (0, 0)
    assert Share.objects.values_list("scene", "depth", "root_share_id").get(share_id="weibo:T") == (
        "weibo.lottery", 1, "weibo:T")
