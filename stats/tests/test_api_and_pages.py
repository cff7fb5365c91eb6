"""The stats API, the CSV export and the dashboards: same numbers everywhere, and only for those allowed."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from console.roles import Role, Scope
from console.services import api_key_create
from hosts.models import Host
from programs.models import Version
from stats.tests.conftest import event, operate

URL = "/api/v1/programs/2026000000000001/stats/"


def test_the_api_answers_the_documented_shape(api_with_key, traffic):
    body = api_with_key.get(URL).json()
    assert set(body) >= {"totals", "series", "breakdown", "retention", "fission"}
    assert body["totals"]["visits"] == 2
    assert body["totals"]["unique_visitors"] == 2
    assert body["totals"]["avg_stay_seconds"] == 20.0
    assert body["totals"]["revenue"] == 9.9
    assert body["fission"]["k_factor"] == 1.0
    assert len(body["series"]) == 30
    assert {b["scene"] for b in body["breakdown"]} == {"weibo.private_message", "weibo.profile"}


def test_the_api_says_which_day_is_not_over(api_with_key, traffic):
    today = timezone.localdate()
    yesterday = (today - timedelta(days=1)).isoformat()

    assert api_with_key.get(URL).json()["range"]["partial_day"] == today.isoformat()
    assert api_with_key.get(URL, {"from": yesterday, "to": yesterday}).json()["range"]["partial_day"] is None


def test_the_api_filters_and_groups(api_with_key, traffic):
    body = api_with_key.get(URL, {"scene": "weibo.profile", "granularity": "month"}).json()
    assert body["totals"]["visits"] == 1
    assert all(p["period"].endswith("-01") for p in body["series"])


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-02-30"}, "from"),
    ({"from": "2026-11-30", "to": "2026-11-01"}, "from"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "from"),
    ({"granularity": "hour"}, "granularity"),
    ({"host": "myspace"}, "host"),
    ({"scene": "weibo.nowhere"}, "scene"),
    ({"host": "alipay", "scene": "weibo.feed"}, "scene"),
    # Far dates overflowed the reads' own arithmetic (a 500): 30 days after for retention, the period before.
    ({"to": "9999-12-31"}, "to"),
    ({"from": "9999-12-30", "to": "9999-12-31", "granularity": "month"}, "to"),
    ({"from": "0001-01-01", "to": "0001-01-10"}, "from"),
    ({"from": "1999-12-31", "to": "2000-01-10"}, "from"),
])
def test_bad_queries_get_a_field_error(api_with_key, traffic, params, field):
    response = api_with_key.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    export = api_with_key.get(URL + "export/", {**params, "table": "series"})
    assert (export.status_code, list(export.json()["error"]["fields"])) == (400, [field])


def test_a_refused_choice_names_the_choices(api_with_key, traffic):
    """DRF said only `"hour" is not a valid choice.`: a client had to open the schema to learn the others."""
    response = api_with_key.get(URL, {"granularity": "hour"})
    assert response.json()["error"]["fields"] == {"granularity": ['"hour" is not one of "day", "week", "month".']}
    export = api_with_key.get(URL + "export/", {"table": "everything"})
    assert export.json()["error"]["fields"]["table"] == ['"everything" is not one of "series", "breakdown", "retention", '
                                                         '"fission", "depths", "chains".']


@pytest.mark.parametrize("params", [{"to": "9999-12-31"}, {"from": "0001-01-01", "to": "0001-01-10"},
                                    {"from": "2026-12-01", "to": "2026-11-01"}])
def test_the_pages_answer_bad_ranges_with_400_and_say_why(client_for, owner, org, traffic, params):
    client = client_for(owner)
    page = client.get(reverse("program_stats", args=[org.slug, traffic.appid]), params)
    assert page.status_code == 400
    shown = f"{page.context['query'].start} – {page.context['query'].end}"
    assert f"The page shows {shown} instead, with the rest of your choice." in page.content.decode()
    for name, value in params.items():  # the reader's own dates stay in the inputs, to be mended
        assert f'name="{name}" max="' in page.content.decode() and f'value="{value}"' in page.content.decode()

    download = client.get(reverse("program_stats_export", args=[org.slug, traffic.appid, "series"]), params)
    assert (download.status_code, download["Content-Type"]) == (400, "text/plain; charset=utf-8")
    assert download.content.decode().startswith(("to: Choose a day up to", "from: Choose a day from", "from: “From” is after “To”."))

    client = client_for(operate(owner))  # signed in again: an operator's session passes the second factor
    host_page = client.get(reverse("host_stats", args=["weibo"]), params)
    assert host_page.status_code == 400  # it showed the last 30 days as if asked for them
    assert "instead, with the rest of your choice." in host_page.content.decode()


def test_an_outsider_gets_404(api, traffic, outsider, other_org):
    key, raw = api_key_create(org=other_org, user=outsider, role=Role.OWNER, name="x", scopes=[Scope.STATS_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(URL).status_code == 404
    assert api.get(URL + "export/", {"table": "series"}).status_code == 404


def test_a_key_without_the_stats_scope_gets_403(api, traffic, org, owner):
    _, raw = api_key_create(org=org, user=owner, role=Role.OWNER, name="ci", scopes=[Scope.PROGRAMS_READ])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(URL).status_code == 403


def test_csv_export_has_the_api_metric_names_as_columns(api_with_key, traffic):
    response = api_with_key.get(URL + "export/", {"table": "breakdown"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert list(rows[0]) == ["host", "scene", "visits", "page_views", "unique_visitors", "new_users",
                             "avg_stay_seconds", "shares", "share_users", "share_opens", "payments", "revenue"]
    by_scene = {r["scene"]: r for r in rows}
    assert (by_scene["weibo.profile"]["visits"], by_scene["weibo.profile"]["revenue"]) == ("1", "0.0")
    assert (by_scene["weibo.private_message"]["payments"], by_scene["weibo.private_message"]["revenue"]) == ("1", "9.9")


def test_the_fission_figures_and_the_depths_export_as_the_api_answers_them(api_with_key, traffic):
    fission = api_with_key.get(URL).json()["fission"]

    summary = list(csv.DictReader(io.StringIO(api_with_key.get(URL + "export/", {"table": "fission"}).content.decode())))
    depths = list(csv.DictReader(io.StringIO(api_with_key.get(URL + "export/", {"table": "depths"}).content.decode())))

    assert summary == [{"share_rate": str(fission["share_rate"]), "opens_per_share": str(fission["opens_per_share"]),
                        "k_factor": str(fission["k_factor"]), "new_users_via_share": "1", "max_depth": "1"}]
    assert depths == [{"depth": "1", "shares": "1"}]


def test_every_table_of_the_program_page_has_its_csv(client_for, owner, org, traffic):
    from stats.export import TABLES

    html = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid])).content.decode()

    for table in TABLES:
        assert f'href="{reverse("program_stats_export", args=[org.slug, traffic.appid, table])}?' in html, table


def test_the_dashboard_shows_the_same_numbers(client_for, owner, org, traffic):
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]))
    assert page.status_code == 200
    cards = {c["name"]: c["value"] for c in page.context["cards"]}
    api_totals = page.context["stats"]["totals"]
    assert cards["visits"] == api_totals["visits"] == 2
    assert cards["revenue"] == 9.9
    assert b"chart-traffic" in page.content


def test_every_chart_has_its_numbers_as_a_table(client_for, owner, org, traffic):
    """A canvas has only its label: a screen reader heard "visits over time" and no number."""
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]))
    body = page.content.decode()
    tables = page.context["chart_tables"]
    assert set(tables) == {"traffic", "sharing", "revenue", "depths"}
    assert body.count('<details class="chart-table">') == 4
    assert tables["traffic"]["heads"] == ["Visits", "Unique visitors", "New users"]
    assert sum(values[0] for _label, values in tables["traffic"]["rows"]) == 2
    assert sum(values[0] for _label, values in tables["revenue"]["rows"]) == 9.9
    assert '<caption class="visually-hidden">Revenue over time</caption>' in body


def test_the_dashboard_csv_is_the_apis_behind_a_byte_order_mark(client_for, owner, org, traffic, api_with_key):
    """Excel on a Chinese Windows read the page's files as GBK, garbling every Chinese name; the mark tells it
    they are UTF-8. A program reading the API's file would find the mark glued to its first column's name."""
    page_csv = client_for(owner).get(reverse("program_stats_export", args=[org.slug, traffic.appid, "series"]))
    api_csv = api_with_key.get(URL + "export/", {"table": "series"})
    assert page_csv.content.startswith(b"\xef\xbb\xbfperiod,")
    assert api_csv.content.startswith(b"period,")
    assert page_csv.content.decode("utf-8-sig") == api_csv.content.decode()


def test_a_weekly_series_file_is_not_named_as_the_daily_one(client_for, owner, org, traffic, api_with_key):
    """Downloaded one after the other, the second was saved as "… (1).csv" beside a file of other periods."""
    url = reverse("program_stats_export", args=[org.slug, traffic.appid, "series"])
    names = {g: client_for(owner).get(url, {"granularity": g})["Content-Disposition"] for g in ("day", "week", "month")}
    api_name = api_with_key.get(URL + "export/", {"table": "series", "granularity": "month"})["Content-Disposition"]

    assert names["day"].startswith(f'attachment; filename="{traffic.appid}-series-2')
    assert names["week"].startswith(f'attachment; filename="{traffic.appid}-series-week-2')
    assert names["month"].startswith(f'attachment; filename="{traffic.appid}-series-month-2') and api_name == names["month"]


def test_a_viewer_may_not_read_stats(client_for, viewer, org, traffic):
    assert client_for(viewer).get(reverse("program_stats", args=[org.slug, traffic.appid])).status_code == 403


def test_an_outsider_gets_404_on_the_dashboard(client_for, outsider, org, traffic):
    assert client_for(outsider).get(reverse("program_stats", args=[org.slug, traffic.appid])).status_code == 404
    url = reverse("program_stats_export", args=[org.slug, traffic.appid, "series"])
    assert client_for(outsider).get(url).status_code == 404


def test_the_empty_state_says_how_to_send_a_first_event(client_for, owner, org, program):
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, program.appid]))
    assert b"No events in this range yet" in page.content
    assert program.appid.encode() in page.content


def test_the_host_dashboard_is_for_that_hosts_operators(client_for, traffic, owner, outsider):
    url = reverse("host_stats", args=["weibo"])
    assert client_for(owner).get(url).status_code == 404
    operate(outsider)
    page = client_for(outsider).get(url)
    assert page.status_code == 200
    assert [s["scene"] for s in page.context["scenes"]] == ["weibo.private_message", "weibo.profile"]
    assert page.context["programs"][0]["visits"] == 2


def test_the_dashboard_shows_retention_cells_and_chain_levels(client_for, owner, org, program, post, at):
    post([event("n1", "new_user", "u1", at(2)), event("n2", "new_user", "u2", at(2)),
          event("v1", "visit", "u1", at(2)), event("v2", "visit", "u1", at(1)),
          event("s1", "share", "u1", at(1), share_id="S1"),
          event("s2", "share", "u2", at(1), share_id="S2", parent_share_id="S1"),
          event("o1", "share_open", "u3", at(1), share_id="S1"), event("o2", "share_open", "u4", at(1), share_id="S1")])
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, program.appid])).content.decode()
    # The cohort of two: one back the next day (50%); none today so far (0%, a day that has come); no figure
    # for the days to come.
    assert ('<td class="num heat" data-heat="50.0">50.0%</td><td class="num heat so-far" data-heat="0.0" '
            'title="Today so far: it grows until midnight.">0.0%*</td><td class="num heat"><span class="muted">–</span>'
            '</td>' in page)
    assert '<span class="level">Level 1</span> 1 share · 2 opens · 0 new users</li>' in page
    assert '<span class="level">Level 2</span> 1 share · 0 opens · 0 new users</li>' in page
    chinese = client_for(owner).get(reverse("program_stats", args=[org.slug, program.appid]),
                                    HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<span class="level">第 1 层</span> 1 次分享 · 2 次打开 · 0 位新用户</li>' in chinese


@pytest.mark.django_db
def test_the_filters_offer_the_active_hosts_and_every_scene_with_the_querys_selected(client_for, owner, org, program):
    Host.objects.filter(code="alipay").update(active=False)
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, program.appid]),
                                 {"host": "weibo", "scene": "weibo.profile"}).content.decode()
    hosts = page.split('<select name="host">')[1].split("</select>")[0]
    scenes = page.split('<select name="scene">')[1].split("</select>")[0]
    assert '<option value="weibo" selected>Weibo</option>' in hosts
    assert 'value="alipay"' not in hosts  # an inactive host is no filter; its scenes still are
    assert '<option value="weibo.profile" data-host="weibo" selected>weibo.profile · Profile page</option>' in scenes
    # Each scene names its host: the page offers only the chosen host's scenes (stats.js).
    assert '<option value="alipay.life_account" data-host="alipay">alipay.life_account · Life account</option>' in scenes
    assert scenes.count(" selected") == 1


@pytest.mark.django_db
def test_a_catalog_edit_reaches_the_filters_within_the_names_lifetime(client_for, owner, org, program, monkeypatch):
    """Each process keeps the filters' names for CATALOG_NAMES_SECONDS: an edit shows once they are that old."""
    from hosts import selectors

    client, url = client_for(owner), reverse("program_stats", args=[org.slug, program.appid])

    def hosts_offered():
        return client.get(url).content.decode().split('<select name="host">')[1].split("</select>")[0]

    assert 'value="alipay"' in hosts_offered()
    Host.objects.filter(code="alipay").update(active=False)
    assert 'value="alipay"' in hosts_offered()  # still within the lifetime
    monkeypatch.setattr(selectors, "CATALOG_NAMES_SECONDS", 0.0)
    assert 'value="alipay"' not in hosts_offered()


def test_table_counts_are_grouped_as_the_cards_are():
    """4,321 in a card and 4321 in the table below it read as two different numbers."""
    from stats.views import BREAKDOWN_COLUMNS, _breakdown_rows, _retention_rows

    row = {"scene": "weibo.feed", **dict.fromkeys(BREAKDOWN_COLUMNS, 12345), "avg_stay_seconds": 140.5,
           "revenue": 31783.5}
    html = _breakdown_rows([row])
    assert html.count("12,345") == len(BREAKDOWN_COLUMNS) - 1 and "140.5" in html and "31,783.50" in html
    retention = {"cohort": "2026-11-02", "new_users": 2345, **{f"day_{n}": None for n in (1, 2, 3, 4, 5, 6, 7, 14, 30)}}
    assert '<td class="num">2,345</td>' in _retention_rows([retention], date(2026, 12, 1))


def test_exported_text_that_reads_as_a_formula_is_inert():
    from stats.export import stats_csv

    stats = {"breakdown": [
        {"host": "weibo", "scene": '=HYPERLINK("http://evil.example","x")', "visits": -1},
        {"host": "weibo", "scene": "@SUM(1+1)", "visits": 2}, {"host": "weibo", "scene": "+1", "visits": 3},
        {"host": "weibo", "scene": "-1", "visits": 4}, {"host": "weibo", "scene": "\tx", "visits": 5},
        {"host": "weibo", "scene": "weibo.feed", "visits": 6},
    ]}
    rows = list(csv.DictReader(io.StringIO(stats_csv(stats, "breakdown"))))

    assert [r["scene"] for r in rows] == ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'@SUM(1+1)", "'+1", "'-1",
                                          "'\tx", "weibo.feed"]
    assert rows[0]["visits"] == "-1"  # numbers are numbers


@pytest.mark.parametrize("code", ['=HYPERLINK("x")', "@SUM(1+1)", "weibo", "weibo.Feed", "weibo.a b", "alipay.feed",
                                  "weibo.", ".feed", "weibo.feed\n"])
def test_a_scene_code_is_host_dot_name(db, code):
    """The stats read a scene's host from its code: "@SUM(1+1)" on weibo counted its users under no host."""
    from django.core.exceptions import ValidationError

    from hosts.models import Scene

    scene = Scene(host=Host.objects.get(code="weibo"), code=code, name="x")
    with pytest.raises(ValidationError) as refused:
        scene.full_clean()
    assert "code" in refused.value.message_dict
    Scene(host=Host.objects.get(code="weibo"), code="weibo.new_scene-2", name="x").full_clean()


def test_a_bad_filter_is_left_out_and_the_rest_kept(client_for, owner, org, traffic):
    """A scene on another host once reset the whole page to the last 30 days of every host."""
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]), {
        "host": "alipay", "scene": "weibo.profile", "granularity": "week", "from": "2026-10-01", "to": "2026-11-15"})

    assert page.status_code == 400
    query = page.context["query"]
    assert (query.host, query.scene, query.granularity) == ("alipay", "", "week")
    assert (query.start.isoformat(), query.end.isoformat()) == ("2026-10-01", "2026-11-15")
    assert page.context["errors"] == [("Scene", "This scene is not on the chosen host.")]
    assert page.context["errors_note"] == "That choice was left out; the page shows the rest of your choice."
    assert page.context["date_inputs"] == {"from": "2026-10-01", "to": "2026-11-15"}


def test_a_bad_date_and_a_bad_scene_are_both_named_and_the_rest_kept(client_for, owner, org, traffic):
    """A walk in Chinese: a refused date left the host and the granularity out too, and never named the scene,
    under a banner saying the rest was kept (the checks stopped at the date)."""
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]), {
        "host": "alipay", "scene": "weibo.feed", "granularity": "week", "from": "1999-01-01"})

    assert page.status_code == 400
    query = page.context["query"]
    assert (query.host, query.scene, query.granularity) == ("alipay", "", "week")
    assert [label for label, _ in page.context["errors"]] == ["From", "Scene"]


def test_filter_errors_are_in_the_readers_language(client_for, owner, org, traffic):
    client = client_for(owner)
    page = client.get(reverse("program_stats", args=[org.slug, traffic.appid]),
                      {"from": "2026-11-30", "to": "2026-11-01"}, HTTP_ACCEPT_LANGUAGE="zh-Hans")

    assert page.status_code == 400
    [(label, message)] = page.context["errors"]
    assert (label, message) == ("从", "开始日期晚于结束日期。")


def test_the_host_dashboard_charts_its_traffic_and_exports_every_table(client_for, traffic, outsider):
    operate(outsider)
    client = client_for(outsider)
    page = client.get(reverse("host_stats", args=["weibo"]), {"granularity": "week"})

    assert page.status_code == 200
    assert b'id="chart-traffic"' in page.content
    weeks = [label.split(" – ") for label in page.context["chart"]["labels"]]  # "11-23 – 11-29": Monday to Sunday
    years = (date.today().year, date.today().year - 1)  # a range in January starts with last year's weeks
    # The first week starts where the range does, the last ends today; the others are whole.
    assert all(any(date.fromisoformat(f"{y}-{monday}").weekday() == 0 for y in years)
               and any(date.fromisoformat(f"{y}-{sunday}").weekday() == 6 for y in years) for monday, sunday in weeks[1:-1])
    assert weeks[0][0] == page.context["start"].isoformat()[5:]
    assert "this week so far" in page.context["chart"]["partial_note"]
    assert sum(page.context["chart"]["traffic"]["visits"]) == sum(s["visits"] for s in page.context["scenes"]) == 2
    assert page.content.count(b'<details class="chart-table">') == 1  # the chart's numbers, for screen readers

    files = {table: client.get(reverse("host_stats_export", args=["weibo", table]), {"granularity": "week"})
             for table in ("series", "scenes", "programs", "gate")}
    assert {t: f["Content-Type"] for t, f in files.items()} == dict.fromkeys(files, "text/csv; charset=utf-8")
    assert all(f.content.startswith("\ufeff".encode()) for f in files.values())  # for Excel (see above)
    series = list(csv.DictReader(io.StringIO(files["series"].content.decode("utf-8-sig"))))
    assert list(series[0]) == ["period", "first_day", "last_day", "visits", "new_users", "shares", "share_opens",
                               "payments", "revenue"]
    # A week the range starts inside is named by its Monday, and says which of its days it counts.
    start = page.context["start"]
    assert (series[0]["period"], series[0]["first_day"]) == ((start - timedelta(days=start.weekday())).isoformat(),
                                                             start.isoformat())
    assert series[-1]["last_day"] == page.context["end"].isoformat()
    assert sum(int(r["visits"]) for r in series) == 2
    programs = list(csv.DictReader(io.StringIO(files["programs"].content.decode("utf-8-sig"))))
    # The AppID is written as text for the spreadsheet: read as a number, its 16th digit would be lost.
    assert [(r["appid"], r["name"], r["visits"]) for r in programs] == [(f'="{traffic.appid}"', traffic.name, "2")]
    # Weekly periods say so in the name: the daily file of the same range had it, and the second was saved as "(1)".
    assert files["series"]["Content-Disposition"].startswith('attachment; filename="weibo-series-week-')
    assert files["scenes"]["Content-Disposition"].startswith('attachment; filename="weibo-scenes-2')


def test_a_file_for_spreadsheets_keeps_texts_of_digits_as_text_and_the_apis_file_keeps_them_plain():
    from stats.export import rows_csv

    rows = [{"appid": "2026650729675424", "root_share_id": "007", "visits": 12, "name": "=SUM(A1)"}]
    columns = ["appid", "root_share_id", "visits", "name"]

    assert rows_csv(rows, columns, for_spreadsheets=True).splitlines()[1] == \
        '"=""2026650729675424""","=""007""",12,\'=SUM(A1)'
    assert rows_csv(rows, columns).splitlines()[1] == "2026650729675424,007,12,'=SUM(A1)"


def test_the_gate_export_writes_its_answers_as_the_api_does(client_for, outsider, db):
    from stats.models import GateDaily

    for allowed, reason, count in ((True, "", 7), (False, "share_cap", 2)):
        GateDaily.objects.create(day=date.today(), host="weibo", scene="weibo.feed", appid="2026000000000001",
                                 allowed=allowed, reason=reason, count=count)
    operate(outsider)
    file = client_for(outsider).get(reverse("host_stats_export", args=["weibo", "gate"]))

    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert sorted((r["allowed"], r["reason"], r["count"]) for r in rows) == [("false", "share_cap", "2"),
                                                                              ("true", "", "7")]


def test_scene_tables_name_each_scene_in_the_readers_language_above_its_code(client_for, owner, org, traffic,
                                                                               outsider):
    from hosts.selectors import forget_catalog_names

    forget_catalog_names()
    operate(outsider)
    program_page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]),
                                         HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    host_page = client_for(outsider).get(reverse("host_stats", args=["weibo"])).content.decode()

    assert '私信<code class="scene-code">weibo.private_message</code>' in program_page
    assert '个人主页<code class="scene-code">weibo.profile</code>' in program_page
    assert 'Profile page<code class="scene-code">weibo.profile</code>' in host_page


def test_a_refused_scene_keeps_the_chosen_preset(client_for, owner, org, traffic):
    """A Chinese walk: "?host=weibo&scene=alipay.life_account&days=7" left the scene out, as it said, but showed
    30 days with "Last 30 days" chosen: the 7-day preset was lost with it."""
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]),
                                 {"host": "weibo", "scene": "alipay.life_account", "days": "7"})
    assert page.status_code == 400
    assert [label for label, _ in page.context["errors"]] == ["Scene"]
    query, today = page.context["query"], timezone.localdate()
    assert (query.start, query.end, query.host, query.scene) == (today - timedelta(days=6), today, "weibo", "")
    assert page.context["active_preset"] == 7


def test_the_host_dashboard_has_total_cards_compared_with_the_days_before(client_for, program, post, at, outsider,
                                                                          settings):
    """An operator saw tables and a chart but no totals: how many visits did the host carry this week, and is
    that more than last week?"""
    settings.STATS_LATE_EVENT_DAYS = 30  # the week before is older than the default window
    answer = post([event("v-now-1", "visit", "u1", at(1)), event("v-now-2", "visit", "u2", at(2)),
          event("v-now-3", "visit", "u3", at(3)), event("s-now", "share", "u1", at(1), share_id="S1"),
          event("p-now", "payment", "u2", at(2), amount="12.50"),
          event("v-today", "visit", "u4", at(0)),  # today is not over: counted, but not compared
          event("v-before-1", "visit", "u1", at(8)), event("v-before-2", "visit", "u2", at(9))])
    assert answer["accepted"] == 8
    operate(outsider)
    today = timezone.localdate()
    page = client_for(outsider).get(reverse("host_stats", args=["weibo"]),
                                    {"from": (today - timedelta(days=6)).isoformat(), "to": today.isoformat()})

    cards = {card["name"]: card for card in page.context["cards"]}
    assert list(cards) == ["visits", "new_users", "shares", "share_opens", "payments", "revenue"]
    assert (cards["visits"]["shown"], cards["visits"]["change_text"]) == ("4", "▲ 50.0%")  # 3 complete days' against 2
    assert cards["visits"]["previous_title"] == "3 against 2"
    assert (cards["revenue"]["shown"], cards["shares"]["shown"]) == ("12.50", "1")
    assert cards["shares"]["change_text"] == "no earlier data"
    note = page.context["comparison_note"]
    assert note.startswith(f"Changes compare the complete days {(today - timedelta(days=6)).isoformat()} – "
                           f"{(today - timedelta(days=1)).isoformat()} with ")
    assert note in page.content.decode() and 'class="grid stats-cards host-cards"' in page.content.decode()


def test_the_host_exports_are_for_that_hosts_operators(client_for, traffic, owner, outsider):
    url = reverse("host_stats_export", args=["weibo", "scenes"])
    assert client_for(owner).get(url).status_code == 404  # an organisation's owner operates no host
    operate(outsider)
    assert client_for(outsider).get(url).status_code == 200
    assert client_for(outsider).get(reverse("host_stats_export", args=["alipay", "scenes"])).status_code == 404
    assert client_for(outsider).get(reverse("host_stats_export", args=["weibo", "nothing"])).status_code == 404


def test_the_share_gates_denials_are_explained_in_the_readers_language(client_for, outsider, db):
    from stats.models import GateDaily

    GateDaily.objects.create(day=date.today(), host="weibo", scene="weibo.feed", appid="2026000000000001",
                             allowed=False, reason="share_cap", count=4)
    operate(outsider)
    page = client_for(outsider).get(reverse("host_stats", args=["weibo"]), HTTP_ACCEPT_LANGUAGE="zh-Hans")

    assert page.context["gate_reasons"] == [("share_cap", "此用户在此场景中已达到该小程序的分享上限；见 retry_after。")]
    assert "此用户在此场景中已达到该小程序的分享上限" in page.content.decode()


def test_a_gate_answer_about_another_hosts_scene_shows_its_code_not_a_name_of_this_host(client_for, outsider, db):
    from stats.models import GateDaily

    for scene, allowed, reason in (("alipay.life_account", False, "scene_unknown"), ("weibo.nope", False,
                                                                                      "scene_unknown"),
                                   ("weibo.feed", True, "")):
        GateDaily.objects.create(day=date.today(), host="weibo", scene=scene, appid="2026000000000001",
                                 allowed=allowed, reason=reason, count=1)
    operate(outsider)
    page = client_for(outsider).get(reverse("host_stats", args=["weibo"]))

    # An operator walk: a host's typo (weibo.nope) read like one of its scenes. Those come last, marked.
    assert [row["scene"] for row in page.context["gate"]] == ["weibo.feed", "alipay.life_account", "weibo.nope"]
    cells = {row["scene"]: row["scene_cell"] for row in page.context["gate"]}
    assert cells["alipay.life_account"] == (
        '<code>alipay.life_account</code> <span class="muted small">(not a scene of this host)</span>')
    assert cells["weibo.nope"].startswith("<code>weibo.nope</code> ")
    assert cells["weibo.feed"].endswith('<code class="scene-code">weibo.feed</code>')  # its own scene: named
    assert "Life account" not in page.content.decode()


def test_a_range_ending_today_marks_its_last_point_as_partial(client_for, owner, org, traffic):

    url = reverse("program_stats", args=[org.slug, traffic.appid])
    today = client_for(owner).get(url)
    before = client_for(owner).get(url, {"to": (timezone.localdate() - timedelta(days=1)).isoformat()})

    assert today.context["chart"]["partial"] is True
    assert b"The last point is today so far" in today.content
    assert before.context["chart"]["partial"] is False
    assert b"The last point is today so far" not in before.content


def test_the_first_event_command_names_a_host_that_takes_the_programs_events(client_for, owner, org, program):
    """It named Weibo and weibo.private_message whatever the program and the filter: for a program not released
    there, the host's answer was program_not_on_host."""
    url = reverse("program_stats", args=[org.slug, program.appid])
    page = client_for(owner).get(url, {"scene": "weibo.profile"})
    assert f"event --host weibo --appid {program.appid} --scene weibo.profile" in page.context["first_event_command"]
    program.versions.update(approved_hosts=["weibo", "alipay"])
    page = client_for(owner).get(url, {"host": "alipay"})  # the filter's host, not Weibo's first scene
    assert "event --host alipay" in page.context["first_event_command"]

    program.versions.update(approved_hosts=["alipay"])
    page = client_for(owner).get(url)
    assert "event --host alipay" in page.context["first_event_command"]
    assert "--scene alipay." in page.context["first_event_command"]

    program.versions.update(status=Version.Status.APPROVED)  # nothing live: no host takes its events
    page = client_for(owner).get(url)
    assert page.context["first_event_command"] == ""
    assert b"No host takes this program" in page.content


def test_the_cards_say_which_days_they_compare():
    """A walk could not reproduce "▲ 16.6% · complete days": the compared days were not shown, the tooltip said
    "as many days before" (a phone has no tooltip), and a fall read "▼ -5.7%"."""
    from stats.selectors import Comparison
    from stats.views import _card_display, _comparison_note

    totals = {"visits": 6}
    partial = Comparison(totals, {"visits": 7}, True, (date(2026, 11, 25), date(2026, 11, 30)),
                         (date(2026, 11, 18), date(2026, 11, 23)))
    shown = _card_display("visits", 6, (5, 7), -28.6, partial)
    assert (shown["shown"], shown["trend"], shown["change_text"]) == ("6", "down", "▼ 28.6%")
    assert shown["previous_title"] == "5 against 7"
    assert _comparison_note(partial) == ("Changes compare the complete days 2026-11-25 – 2026-11-30 with "
                                         "2026-11-18 – 2026-11-23; today is not over, so it is left out.")
    whole = Comparison(totals, {"visits": 4}, False, (date(2026, 11, 1), date(2026, 11, 30)),
                       (date(2026, 10, 2), date(2026, 10, 31)))
    assert _card_display("visits", 6, (6, 4), 50.0, whole)["change_text"] == "▲ 50.0%"
    unchanged = _card_display("visits", 4, (4, 4), 0.0, whole)
    assert (unchanged["trend"], unchanged["change_text"]) == ("none", "no change"), "not “▲ 0.0%”"
    assert _comparison_note(whole) == ("Changes compare 2026-11-01 – 2026-11-30 with 2026-10-02 – 2026-10-31, "
                                       "as many days just before.")
    # The title writes its figures as the card writes its value (a walk read "8425, against 0" under "8,847").
    assert _card_display("visits", 8847, (8425, 7000), 20.4, whole)["previous_title"] == "8,425 against 7,000"
    assert _card_display("revenue", 20190.2, (19668.0, 0.0), None, whole)["previous_title"] == \
        "19,668.00 against 0.00"


def test_the_comparison_note_is_on_the_page(client_for, owner, org, traffic):
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]))
    assert page.context["comparison_note"].startswith("Changes compare the complete days ")
    assert page.context["comparison_note"] in page.content.decode()
    query = page.context["query"]  # dates as the axis, the tables and the note write them, not "Nov. 2, 2026"
    assert f"{query.start.isoformat()} to {query.end.isoformat()}, live" in page.content.decode()


def test_a_card_of_today_alone_says_the_day_is_not_over(client_for, owner, org, program):
    today = timezone.localdate().isoformat()
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, program.appid]), {"from": today, "to": today})
    assert page.status_code == 200
    assert {card["change_text"] for card in page.context["cards"]} == {"day not over"}
    assert b"Today is not over, so it is not compared yet." in page.content


def test_weeks_and_months_are_labelled_as_periods_not_as_their_first_day():
    """"2026-09-01" on a monthly chart read as the first of September, not September."""
    from stats.views import _period_labels

    year = (date(2026, 1, 1), date(2027, 12, 31))
    assert _period_labels(["2026-11-23", "2026-12-28"], "week", *year) == ["11-23 – 11-29", "12-28 – 01-03"]
    assert _period_labels(["2026-09-01", "2026-02-01"], "month", *year) == ["2026-09", "2026-02"]
    assert _period_labels(["2026-09-01"], "day", *year) == ["2026-09-01"]


def test_a_week_or_month_the_range_cuts_is_labelled_by_its_days_in_the_range():
    """The fault: from 11-25 to 12-01 by week, the first point said "11-23 – 11-29" and held five days' visits;
    by month from 09-03, "2026-09" held 28 days' and read as a slump."""
    from stats.views import _period_labels

    assert _period_labels(["2026-11-23", "2026-11-30"], "week", date(2026, 11, 25), date(2026, 12, 1)) == [
        "11-25 – 11-29", "11-30 – 12-01"]
    assert _period_labels(["2026-11-23"], "week", date(2026, 11, 29), date(2026, 11, 29)) == ["11-29"]
    assert _period_labels(["2026-09-01", "2026-10-01", "2026-11-01"], "month", date(2026, 9, 3),
                          date(2026, 11, 30)) == ["09-03 – 09-30", "2026-10", "2026-11"]
    assert _period_labels(["2026-12-01"], "month", date(2026, 12, 1), date(2026, 12, 1)) == ["12-01"]


def test_a_range_that_ends_in_the_future_is_shown_up_to_today(client_for, owner, org, traffic):
    """The fault: to=a month ahead drew thirty zero days after today, the note said the last point was today,
    and the cards compared the range with as many days before it, weeks back."""
    from django.utils import timezone

    today = timezone.localdate()
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]),
                                 {"from": (today - timedelta(days=2)).isoformat(),
                                  "to": (today + timedelta(days=30)).isoformat()})

    assert page.status_code == 200
    assert page.context["query"].end == today  # the header, the cards and their comparison too
    assert page.context["chart"]["labels"][-1] == today.isoformat()
    assert len(page.context["chart"]["traffic"]["visits"]) == 3
    assert f'max="{today.isoformat()}"' in page.content.decode()


def test_the_chosen_preset_shows_as_chosen(client_for, owner, org, traffic):
    from django.utils import timezone

    url = reverse("program_stats", args=[org.slug, traffic.appid])
    seven = client_for(owner).get(url, {"days": 7})
    custom = client_for(owner).get(url, {"to": (timezone.localdate() - timedelta(days=1)).isoformat()})

    assert seven.context["active_preset"] == 7
    assert seven.content.decode().count('aria-current="true"') == 1
    assert custom.context["active_preset"] is None


def test_a_retention_cell_of_today_is_marked_as_so_far():
    """The newest cohorts' cells counted today so far, unmarked, and read as a drop."""
    from stats.selectors import RETENTION_DAYS
    from stats.views import _retention_rows

    cohort = {"cohort": "2026-11-24", "new_users": 10, **{f"day_{n}": 0.1 for n in RETENTION_DAYS}}
    rows = _retention_rows([cohort], date(2026, 12, 1))  # day 7 of the 11-24 cohort is today

    assert rows.count("so-far") == 1
    assert 'class="num heat so-far" data-heat="10.0" title="Today so far: it grows until midnight.">10.0%*</td>' in rows
    assert "so-far" not in _retention_rows([cohort], date(2026, 12, 30))


def test_the_first_event_command_posts_to_the_console_the_reader_is_on(client_for, owner, org, program):
    """The command had no --url, so the client posted to its default, http://127.0.0.1:8000: against a console
    run with PORT=8792 (or anywhere but that port) it answered "Could not reach … Connection refused"."""
    url = reverse("program_stats", args=[org.slug, program.appid])
    page = client_for(owner).get(url, HTTP_HOST="127.0.0.1:8792")

    assert "-m hosts.client --url http://127.0.0.1:8792 --key " in page.context["first_event_command"]
    assert "--url http://127.0.0.1:8792 --key" in page.content.decode()


def test_the_first_event_command_says_where_it_runs_and_how_to_run_it_elsewhere(client_for, owner, org, program):
    """`python -m hosts.client` imports the console's `hosts` package: copied anywhere else it failed with
    ModuleNotFoundError, and the page did not say so, nor that client.py and signing.py can run on their own."""
    body = client_for(owner).get(reverse("program_stats", args=[org.slug, program.appid])).content.decode()

    assert "-m hosts.client" in body
    assert "Run it in the console's source folder (where <code>manage.py</code> is)" in body
    assert "copy <code>hosts/client.py</code> and <code>hosts/signing.py</code> into one folder" in body
    assert "<code>python client.py</code>" in body


def test_an_empty_range_of_a_program_with_events_says_where_they_are(client_for, owner, org, traffic):
    """A past range of a program with a month of events offered "send your first event" and its command, which
    posts a visit today: it could never show in that range. It says the days that have events instead."""
    url = reverse("program_stats", args=[org.slug, traffic.appid])
    today = timezone.localdate()
    page = client_for(owner).get(url, {"from": "2026-01-01", "to": "2026-01-07", "granularity": "week"})
    body = page.content.decode()

    assert page.context["event_days"] == (today - timedelta(days=1), today)
    assert page.context["first_event_command"] == ""
    assert "hosts.client" not in body and "No host takes this program" not in body
    first = (today - timedelta(days=1)).isoformat()
    assert f"This program's events run from {first} to {today.isoformat()}" in body
    assert f'href="?from={first}&amp;to={today.isoformat()}&amp;host=&amp;scene=&amp;granularity=week"' in body


def test_a_range_without_visits_shows_no_average_stay(client_for, owner, org, traffic):
    """An average of no visits is not 0.0 s, which reads as visits that lasted no time."""
    page = client_for(owner).get(reverse("program_stats", args=[org.slug, traffic.appid]),
                                 {"from": "2026-01-01", "to": "2026-01-07"})

    cards = {card["name"]: card["shown"] for card in page.context["cards"]}
    assert (cards["visits"], cards["avg_stay_seconds"]) == ("0", "–")


def test_an_empty_scene_without_events_ever_still_shows_the_first_event_command(client_for, owner, org, traffic):
    url = reverse("program_stats", args=[org.slug, traffic.appid])
    page = client_for(owner).get(url, {"scene": "weibo.feed"})  # the traffic is on two other scenes

    assert page.context["event_days"] is None
    assert "--scene weibo.feed" in page.context["first_event_command"]


def test_the_empty_range_note_is_translated(client_for, owner, org, traffic):
    owner.language = "zh-hans"
    owner.save(update_fields=["language"])
    url = reverse("program_stats", args=[org.slug, traffic.appid])
    body = client_for(owner).get(url, {"from": "2026-01-01", "to": "2026-01-07"}).content.decode()

    assert "此小程序的事件分布在" in body and "查看最近有事件的日期" in body and "此时间范围内没有事件" in body


@pytest.mark.parametrize("day", ["2026-13-01", "2026-02-30", "yesterday"])
def test_a_day_that_does_not_exist_is_named_as_such(api_with_key, traffic, day):
    response = api_with_key.get(URL, {"from": day})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["from"] == ["Give a day that exists, as YYYY-MM-DD."]
