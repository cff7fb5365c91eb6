"""Stats dashboards: one per program for its organisation, one per host for the host's operators."""

import calendar
import dataclasses
import functools
from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import Http404, HttpResponseBadRequest, QueryDict
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from console.roles import Capability
from console.views.decorators import org_page
from distribution.gate import GateReason
from hosts.models import Host
from hosts.selectors import demo_credential_to_show, filter_names, host_operated_by
from programs.views.access import program_in_org
from stats.apis import csv_file, csv_response, table_name
from stats.export import HOST_TABLES, TABLES, rows_csv
from stats.ingest import hosts_taking_events
from stats.numbers import exact, percent
from stats.selectors import (
    RETENTION_DAYS,
    Comparison,
    Granularity,
    StatsQuery,
    gate_answers,
    host_program_totals,
    host_scene_totals,
    host_series,
    host_totals_compared,
    program_event_days,
    program_stats,
    program_stats_compared,
)
from stats.serializers import StatsQueryInput

PRESETS = (7, 30, 90)
FILTER_LABELS = {"from": _("From"), "to": _("To"), "host": _("Host"), "scene": _("Scene"), "granularity": _("By"),
                 "non_field_errors": _("Range")}
BREAKDOWN_COLUMNS = ("visits", "unique_visitors", "page_views", "avg_stay_seconds", "new_users", "shares",
                     "share_opens", "payments")  # then revenue, formatted apart
CARDS = (
    ("visits", _("Visits")), ("unique_visitors", _("Unique visitors")), ("new_users", _("New users")),
    ("avg_stay_seconds", _("Average stay (s)")), ("shares", _("Shares")), ("share_opens", _("Share opens")),
    ("revenue", _("Revenue (¥)")),
)
# A host's cards: its additive metrics (distinct users are counted per program, so a host has none).
HOST_CARDS = (
    ("visits", _("Visits")), ("new_users", _("New users")), ("shares", _("Shares")),
    ("share_opens", _("Share opens")), ("payments", _("Payments")), ("revenue", _("Revenue (¥)")),
)
GRANULARITIES = (("day", _("Day")), ("week", _("Week")), ("month", _("Month")))
METRIC_LABELS = {
    "visits": _("Visits"), "page_views": _("Page views"), "unique_visitors": _("Unique visitors"),
    "new_users": _("New users"), "avg_stay_seconds": _("Average stay (s)"), "shares": _("Shares"),
    "share_users": _("Share users"), "share_opens": _("Share opens"), "payments": _("Payments"),
    "revenue": _("Revenue (¥)"),
}


def _parse(request) -> tuple[StatsQuery | None, dict]:
    return _parse_params(request.GET)


def _parse_params(params: QueryDict) -> tuple[StatsQuery | None, dict]:
    query = StatsQueryInput(data=_with_preset_dates(params))  # a preset is read as its dates
    if query.is_valid():
        return query.validated_data["query"], {}
    return None, query.errors


def _with_preset_dates(params: QueryDict) -> QueryDict:
    """The parameters with a preset (`days`: the last N days ending today) written as its from and to."""
    params = params.copy()
    days = params.pop("days", [""])[-1]
    if days.isdigit() and int(days) in PRESETS:
        params["to"] = timezone.localdate().isoformat()
        params["from"] = (timezone.localdate() - timedelta(days=int(days) - 1)).isoformat()
    return params


def _parse_keeping_the_rest(request) -> tuple[StatsQuery, list[tuple[str, str]]]:
    """A page's query: what is wrong in it is left out (a bad range falls back to the last 30 days) and
    the rest kept, so that a scene on the wrong host does not also lose the dates and the granularity.
    Returns the query and, for the page, each left-out choice's label and why.

    The input's checks stop at the first wrong choice they meet (the range before the scene's host), so the
    rest is checked again without it until it passes: a bad date and a scene of another host are both named,
    and the host and the granularity kept (they fell back to the defaults with the banner saying "kept").
    """
    kept, errors = request.GET.copy(), {}
    while True:
        query, found = _parse_params(kept)
        if query is not None:
            break
        errors.update(found)
        left_out = set(found)
        if left_out & {"from", "to"}:
            left_out |= {"from", "to", "days"}  # a bad range gives way to the default range, whole
        if not any(name in kept for name in left_out):  # nothing left to leave out (never, but never a loop)
            query = _default_query()
            break
        for name in left_out:
            kept.pop(name, None)
    return _up_to_today(query), [(str(FILTER_LABELS.get(name, name)), " ".join(str(m) for m in messages))
                                 for name, messages in errors.items()]


def _filter_state(request, query: StatsQuery, errors: list, today: date) -> dict:
    """What both dashboards' filter bars show: the query, its presets (the chosen one marked), the date inputs and
    what was left out of the reader's choice."""
    return {"query": query, "today": today, "errors": errors, "errors_note": _errors_note(request, query, errors),
            "presets": PRESETS, "active_preset": _active_preset(query, today),
            "date_inputs": _date_inputs(request, query, errors)}


def _date_inputs(request, query: StatsQuery, errors: list) -> dict:
    """What the date inputs show: the reader's own dates when they were left out (so that a typo can be mended,
    not typed again), else the range shown."""
    if errors and _dates_left_out(request, query):
        return {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
    return {"from": query.start.isoformat(), "to": query.end.isoformat()}


def _dates_left_out(request, query: StatsQuery) -> bool:
    wanted = (request.GET.get("from") or query.start.isoformat(), request.GET.get("to") or query.end.isoformat())
    return wanted != (query.start.isoformat(), query.end.isoformat())


def _errors_note(request, query: StatsQuery, errors: list) -> str:
    if not errors:
        return ""
    if _dates_left_out(request, query):
        return gettext("The page shows %(start)s – %(end)s instead, with the rest of your choice.") % {
            "start": query.start.isoformat(), "end": query.end.isoformat()}
    return gettext("That choice was left out; the page shows the rest of your choice.")


def _default_query() -> StatsQuery:
    default = StatsQueryInput(data={})
    default.is_valid(raise_exception=True)
    return default.validated_data["query"]


def _cards(totals: dict, comparison: Comparison, shown=CARDS) -> list[dict]:
    cards = []
    for name, label in shown:
        now = comparison.current[name]
        before = comparison.previous[name] if comparison.previous is not None else None
        change = percent(exact(now) - exact(before), before) if before else None
        card = {"name": name, "label": label, "value": totals[name], "previous": before, "change": change,
                **_card_display(name, totals[name], (now, before), change, comparison)}
        if name == "avg_stay_seconds" and not totals["visits"]:
            card["shown"] = "–"  # no visit, no average: 0.0 would read as visits that lasted no time
        cards.append(card)
    return cards


def _card_display(name: str, value, compared: tuple, change: float | None, comparison: Comparison) -> dict:
    """A card's shown value, trend and comparison title, formatted with the filters the template used.

    Made here rather than by template conditions and filters per card: seven cards of them were a
    twentieth of the template's time.
    """
    shown = _card_value(name, value)
    if compared[1] is None:
        return {"shown": shown, "trend": "none", "change_text": gettext("day not over"),
                "previous_title": _comparison_note(comparison)}
    if change is None:
        trend, change_text = "none", gettext("no earlier data")
    elif round(change, 1) == 0:  # "▲ 0.0%" read as a rise
        trend, change_text = "none", gettext("no change")
    else:  # the arrow says which way: "▼ 5.7%", not "▼ -5.7%"
        trend, arrow = ("up", "▲") if change >= 0 else ("down", "▼")
        change_text = f"{arrow} {localize(abs(change))}%"
    now, before = (_card_value(name, v) for v in compared)  # as the card writes its value: "8,425", not "8425"
    title = gettext("%(now)s against %(before)s") % {"now": now, "before": before}
    return {"shown": shown, "trend": trend, "change_text": change_text, "previous_title": title}


def _card_value(name: str, value) -> str:
    if name == "revenue":
        return floatformat(value, "2g")
    if name == "avg_stay_seconds":
        return floatformat(value, "1")
    return intcomma(value)


def _comparison_note(comparison: Comparison) -> str:
    """Under the cards: which days their changes compare, so that a reader can check them (a tooltip is no
    use on a phone)."""
    if comparison.previous is None:
        return gettext("Today is not over, so it is not compared yet. A range of complete days is compared with "
                       "as many days before it.")
    days, before = (_days_text(*span) for span in (comparison.days, comparison.previous_days))
    if comparison.complete_days_only:
        return gettext("Changes compare the complete days %(days)s with %(before)s; today is not over, so it is "
                       "left out.") % {"days": days, "before": before}
    return gettext("Changes compare %(days)s with %(before)s, as many days just before.") % {
        "days": days, "before": before}


def _days_text(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def _breakdown_rows(breakdown: list[dict]) -> str:
    """The by-scene table's rows, formatted as the template's variables and filter formatted them.

    Made here for the reason of `_retention_rows`: ten cells a row of template variables.
    """
    cells = ('<td class="num">{}</td><td class="num">{}</td><td class="num hide-sm">{}</td>'
             '<td class="num hide-sm">{}</td><td class="num">{}</td><td class="num">{}</td>'
             '<td class="num hide-sm">{}</td><td class="num hide-sm">{}</td><td class="num">{}</td>')
    names = _scene_names()
    return format_html_join("", "<tr><td>{}</td>" + cells + "</tr>", (
        (_scene_cell(row["scene"], names), *(_count(row[name]) for name in BREAKDOWN_COLUMNS),
         floatformat(row["revenue"], "2g"))
        for row in breakdown))


def _scene_names() -> dict[str, str]:
    """Every scene's name in the reader's language, by code."""
    return {scene.code: scene.display_name() for scene in filter_names()[1]}


def _scene_cell(code: str, names: dict[str, str]) -> str:
    """A scene as a table shows it: its name, and its code (what the API, the CSV and the hosts use) below."""
    if code not in names:  # a scene no longer in the catalog keeps its rows
        return format_html("<code>{}</code>", code)
    return format_html('{}<code class="scene-code">{}</code>', names[code], code)


def _retention_rows(retention: list[dict], today: date) -> str:
    """The retention table's rows: per cohort its size and its row of percentages.

    Made here rather than by template tags: a 30-day table has some 300 cells, and tags per cell
    were a fifth of the page's time (and three variables a row, after that, a twentieth of the
    template's). The values are dates and numbers this function formats, so nothing to escape. A cell
    whose day is today counts today so far: it is marked, as the charts' last point is dashed.
    """
    return mark_safe("".join(
        f'<tr><td>{row["cohort"]}</td><td class="num">{_count(row["new_users"])}</td>'
        + "".join(_retention_cell(row[f"day_{n}"], _is_today(row["cohort"], n, today)) for n in RETENTION_DAYS)
        + "</tr>"
        for row in retention))


def _is_today(cohort: str, day_n: int, today: date) -> bool:
    return date.fromisoformat(cohort) + timedelta(days=day_n) == today


def _count(value) -> str:
    """A count or average in a table cell, grouped as the cards group them (4,321)."""
    return intcomma(value) if isinstance(value, int) else localize(value)


def _retention_heads() -> str:
    return format_html_join("", '<th class="num">{}</th>', ((gettext("Day %(n)s") % {"n": n},) for n in RETENTION_DAYS))


def _retention_cell(share: float | None, today: bool = False) -> str:
    if share is None:
        return '<td class="num heat"><span class="muted">–</span></td>'
    shown = percent(share)
    if today:
        return f'<td class="num heat so-far" data-heat="{shown}" title="{_so_far_title()}">{shown}%*</td>'
    return f'<td class="num heat" data-heat="{shown}">{shown}%</td>'


def _so_far_title() -> str:
    return escape(gettext("Today so far: it grows until midnight."))


def _chains(chains: list[dict]) -> list[dict]:
    """The top chains with their summary line and levels made here, translated once.

    Template tags per chain and level (four plural translations in the summary, three lookups a level)
    were a tenth of the template's time. Escaped as the template escaped them: the ids and pseudonyms
    and the level lines; the translated summary phrases are our own catalogue's, output as they were.
    """
    # Each translation reads the active language from a context-local, and the same few numbers recur
    # across the chains' levels (their counts are small): each phrase is translated once per answer.
    counts = functools.partial(_level_counts, functools.cache(_shares), functools.cache(_opens),
                               functools.cache(_new_users))
    label = functools.cache(lambda depth: gettext("Level %(d)s") % {"d": depth})
    return [{**chain, "summary": _chain_summary(chain), "levels_html": _chain_levels(chain["levels"], counts, label)}
            for chain in chains]


def _chain_summary(chain: dict) -> str:
    phrases = (ngettext("%(n)s share", "%(n)s shares", chain["shares"]) % {"n": chain["shares"]},
               gettext("depth %(depth)s") % {"depth": chain["depth"]},
               ngettext("%(opens)s open", "%(opens)s opens", chain["opens"]) % {"opens": chain["opens"]},
               ngettext("%(new)s new user", "%(new)s new users", chain["new_users"]) % {"new": chain["new_users"]})
    return format_html("<code>{}</code> · {} · {}", chain["root_share_id"], chain["root_sharer"],
                       mark_safe(pgettext("between list items", ", ").join(phrases)))  # the catalogue's words around numbers, as blocktranslate output them


def _level_counts(shares_phrase, opens_phrase, new_users_phrase, shares: int, opens: int, new_users: int) -> str:
    return f"{shares_phrase(shares)} · {opens_phrase(opens)} · {new_users_phrase(new_users)}"


# Written as ngettext calls, so that makemessages finds the phrases.
def _shares(n: int) -> str:
    return ngettext("%(n)s share", "%(n)s shares", n) % {"n": n}


def _opens(n: int) -> str:
    return ngettext("%(o)s open", "%(o)s opens", n) % {"o": n}


def _new_users(n: int) -> str:
    return ngettext("%(u)s new user", "%(u)s new users", n) % {"u": n}


def _chain_levels(levels: list[dict], counts, label) -> str:
    # f-strings and `escape` (the template escaped the label and line): format_html per level cost more
    # than the template loop it replaced.
    return mark_safe("".join(
        f'<li style="--depth: {level["depth"]}"><span class="level">{escape(label(level["depth"]))}</span> '
        + escape(counts(level["shares"], level["opens"], level["new_users"]))
        + "</li>"
        for level in levels))


def _filter_options(query: StatsQuery) -> dict:
    """The host and scene filters' <option>s, the one in the query selected; each scene names its host, so
    that the page offers only the chosen host's scenes (stats.js).

    Made here rather than by a template loop: some thirty options of three tags each were a
    twentieth of the template's time.
    """
    hosts, scenes = filter_names()
    return {"host_options": _options(((h.code, h.display_name) for h in hosts), query.host),
            "scene_options": format_html_join("", '<option value="{}" data-host="{}"{}>{}</option>', (
                (s.code, s.code.split(".", 1)[0], mark_safe(" selected") if s.code == query.scene else "",
                 f"{s.code} · {s.display_name()}") for s in scenes))}


def _options(choices, selected: str) -> str:
    return format_html_join("", '<option value="{}"{}>{}</option>', (
        (value, mark_safe(" selected") if value == selected else "", label) for value, label in choices))


def first_event_command(appid: str, scene: str = "", host_code: str = "", *, console_url: str) -> str:
    """A command that posts one visit for `appid` as a host that takes its events: the filter's scene's or
    host's, else Weibo (the demo host, whose credential shows where DEBUG does), else the first; "" when no host
    takes them yet (nothing is released). It names `console_url`, the address the reader reached this page at:
    the client's default (port 8000) answered "connection refused" to a console run with PORT=8792."""
    hosts = hosts_taking_events(appid)
    if not hosts:
        return ""
    wanted = scene.split(".", 1)[0] if scene else host_code or "weibo"
    host = next((h for h in hosts if h.code == wanted), hosts[0])
    if not scene.startswith(f"{host.code}."):
        scene = host.scenes.order_by("position", "code").values_list("code", flat=True).first() or f"{host.code}.?"
    shown = demo_credential_to_show(host.code)
    key, secret = shown or ("$HOST_KEY_ID", "$HOST_SECRET")
    return (f".venv/bin/python -m hosts.client --url {console_url} --key {key} --secret {secret} \\\n"
            f"  event --host {host.code} --appid {appid} --scene {scene} --type visit --user demo-user-1")


def _period_labels(periods: list[str], granularity: str, start: date, end: date) -> list[str]:
    """Axis labels: a day as it is; a week by the first and last of its days in the range ("11-23 – 11-29"); a
    month as "2026-09", or by its days in the range when the range cuts it ("09-03 – 09-30"). A week or a month
    labelled by its first day read as that day, and a cut one as a whole one that slumped."""
    if granularity == Granularity.DAY:
        return periods
    labels = []
    for period in periods:
        first = date.fromisoformat(period)
        last = first + timedelta(days=6) if granularity == Granularity.WEEK else _month_end(first)
        shown_first, shown_last = max(first, start), min(last, end)
        if granularity == Granularity.MONTH and (shown_first, shown_last) == (first, last):
            labels.append(period[:7])
        elif shown_first == shown_last:
            labels.append(shown_first.isoformat()[5:])
        else:
            labels.append(f"{shown_first.isoformat()[5:]} – {shown_last.isoformat()[5:]}")
    return labels


def _month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def _partial_note(granularity: str) -> str:
    """What the dashed last point is: the day, week or month that today is part of."""
    if granularity == Granularity.WEEK:
        return gettext("The last point is this week so far (dashed): it grows until Sunday ends.")
    if granularity == Granularity.MONTH:
        return gettext("The last point is this month so far (dashed): it grows until the month ends.")
    return gettext("The last point is today so far (dashed): it grows until midnight.")


def _active_preset(query: StatsQuery, today: date) -> int | None:
    """The preset the range is ("Last 7 days" is the 7 days to today), so that its button shows chosen."""
    days = (query.end - query.start).days + 1
    return days if query.end == today and days in PRESETS else None


def _up_to_today(query: StatsQuery) -> StatsQuery:
    """A page shows a range up to today at most: the API takes a year ahead, but a page drew those days as
    zeros (a cliff after today) and compared the range with as many days before it, weeks back."""
    today = timezone.localdate()
    if query.end <= today:
        return query
    return dataclasses.replace(query, end=today, start=min(query.start, today))


def _chart_data(stats: dict, query: StatsQuery, today: date) -> dict:
    """The range's last point is dashed when it is today's (or this week's or month's), which is not over."""
    series, partial = stats["series"], query.end >= today
    return {
        "labels": _period_labels([p["period"] for p in series], query.granularity, query.start, query.end),
        "partial_note": _partial_note(query.granularity) if partial else "",
        "traffic": {name: [p[name] for p in series] for name in ("visits", "unique_visitors", "new_users")},
        "sharing": {name: [p[name] for p in series] for name in ("shares", "share_opens", "share_users")},
        "revenue": [p["revenue"] for p in series],
        "depths": stats["fission"]["depth_distribution"],
        "axes": {"depth": gettext("Depth (1: shared by the first sharer)"), "shares": gettext("Shares")},
        "names": {k: str(v) for k, v in METRIC_LABELS.items()},
        "partial": partial,
    }


def _chart_tables(chart: dict) -> dict:
    """Each chart's numbers as a table, folded under it: the text alternative a screen reader reads (a canvas
    has only its label), and the exact figures a sighted reader may want too."""
    def table(labels, columns: dict) -> dict:
        return {"heads": [METRIC_LABELS.get(key, key) for key in columns],
                "rows": [(label, [values[i] for values in columns.values()]) for i, label in enumerate(labels)]}

    tables = {name: table(chart["labels"], chart[name]) for name in ("traffic", "sharing") if name in chart}
    if "revenue" in chart:
        tables["revenue"] = table(chart["labels"], {"revenue": chart["revenue"]})
    if "depths" in chart:
        depths = chart["depths"]
        tables["depths"] = {"heads": [chart["axes"]["shares"]],
                            "rows": [(item["depth"], [item["shares"]]) for item in depths]}
    return tables


def _event_days_query(query: StatsQuery, event_days: tuple[date, date]) -> str:
    """The query string of the last 30 days (at most) that have events, keeping the host, scene and granularity."""
    first, last = event_days
    params = QueryDict(mutable=True)
    params.update({"from": max(first, last - timedelta(days=29)).isoformat(), "to": last.isoformat(),
                   "host": query.host, "scene": query.scene, "granularity": query.granularity})
    return params.urlencode()


@org_page(Capability.READ_STATS)
def program_dashboard(request, membership, appid):
    program = program_in_org(request, membership, appid)
    query, errors = _parse_keeping_the_rest(request)
    today = timezone.localdate()
    stats, comparison = program_stats_compared(program, query, today)
    has_data = any(p["visits"] or p["shares"] or p["new_users"] for p in stats["series"])
    # An empty range of a program with events elsewhere says where they are; the command is for one with none.
    event_days = None if has_data else program_event_days(program, query)
    chart = _chart_data(stats, query, today)
    context = {
        "membership": membership, "program": program, "stats": stats, **_filter_state(request, query, errors, today),
        "cards": _cards(stats["totals"], comparison), "comparison_note": _comparison_note(comparison),
        "chart": chart, "chart_tables": _chart_tables(chart), "tables": TABLES, **_filter_options(query),
        "has_data": has_data, "event_days": event_days,
        "event_days_query": _event_days_query(query, event_days) if event_days else "",
        "granularities": GRANULARITIES, "retention_rows": _retention_rows(stats["retention"], today), "retention_heads": _retention_heads(),
        "breakdown_rows": _breakdown_rows(stats["breakdown"]),
        "fission_percent": {"share_rate": percent(stats["fission"]["share_rate"])},
        "top_chains": _chains(stats["fission"]["top_chains"]),
        # Only an empty dashboard shows the command (which looks up the demo credential).
        "first_event_command": "" if has_data or event_days else first_event_command(
            program.appid, query.scene, query.host, console_url=request.build_absolute_uri("/").rstrip("/")),
    }
    return render(request, "stats/program_dashboard.html", context, status=400 if errors else 200)


@org_page(Capability.READ_STATS)
def program_export(request, membership, appid, table):
    program = program_in_org(request, membership, appid)
    if table not in TABLES:
        raise Http404
    query, errors = _parse(request)
    if query is None:
        return _bad_download(errors)
    return csv_response(program_stats(program, query), table, program.appid, for_spreadsheets=True)


def _bad_download(errors: dict) -> HttpResponseBadRequest:
    """A download has no page to show its query's errors on: they are said in plain text."""
    lines = [f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in errors.items()]
    return HttpResponseBadRequest("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@login_required
def host_dashboard(request, host_code):
    host = host_operated_by(request.user, host_code)
    query, errors = _parse_keeping_the_rest(request)
    tables = {table: _host_table(host, query, table) for table in HOST_TABLES}
    today = timezone.localdate()
    series, partial, names = tables["series"], query.end >= today, _scene_names()
    totals, comparison = host_totals_compared(host=host.code, query=query, today=today)
    context = {
        "host": host, "start": query.start, "end": query.end, **_filter_state(request, query, errors, today),
        "cards": _cards(totals, comparison, HOST_CARDS), "comparison_note": _comparison_note(comparison),
        "granularities": GRANULARITIES, "programs": tables["programs"],
        "scenes": _with_scene_cells(tables["scenes"], names),
        # A host may ask the gate about another host's scene (answered scene_unknown): shown by its code
        # alone, not under a name that would read as one of this host's scenes.
        "gate": _gate_scene_cells(_gate_table(tables["gate"]), _of_host(names, host)),
        "gate_reasons": _gate_reasons(tables["gate"]),
        "chart": {"labels": _period_labels([p["period"] for p in series], query.granularity, query.start, query.end),
                  "partial_note": _partial_note(query.granularity) if partial else "",
                  "traffic": {name: [p[name] for p in series] for name in ("visits", "new_users", "shares")},
                  "names": {k: str(v) for k, v in METRIC_LABELS.items()},
                  "partial": partial},
        "has_data": any(p["visits"] or p["shares"] or p["new_users"] for p in series),
    }
    context["chart_tables"] = _chart_tables(context["chart"])
    return render(request, "stats/host_dashboard.html", context, status=400 if errors else 200)


@login_required
def host_export(request, host_code, table):
    host = host_operated_by(request.user, host_code)
    if table not in HOST_TABLES:
        raise Http404
    query, errors = _parse(request)
    if query is None:
        return _bad_download(errors)
    rows = _host_table(host, query, table, program_limit=None)  # the file has every program
    name = f"{host.code}-{table_name(table, query.granularity)}-{query.start}-{query.end}.csv"
    return csv_file(rows_csv(rows, HOST_TABLES[table], for_spreadsheets=True), name, for_spreadsheets=True)


def _host_table(host: Host, query: StatsQuery, table: str, program_limit: int | None = 20) -> list[dict]:
    """One table of a host's dashboard (and its CSV file): the query's host and scene do not apply."""
    code, start, end = host.code, query.start, query.end
    if table == "series":
        return host_series(host=code, query=query)
    if table == "scenes":
        return host_scene_totals(host=code, start=start, end=end)
    if table == "programs":
        return host_program_totals(host=code, start=start, end=end, limit=program_limit)
    return gate_answers(host=code, start=start, end=end)


def _of_host(names: dict[str, str], host: Host) -> dict[str, str]:
    """The names of the host's own scenes: a scene code is "<host>.<scene>", as the scene filter reads it too."""
    return {code: name for code, name in names.items() if code.split(".", 1)[0] == host.code}


def _with_scene_cells(rows: list[dict], names: dict[str, str]) -> list[dict]:
    return [{**row, "scene_cell": _scene_cell(row["scene"], names)} for row in rows]


def _gate_scene_cells(rows: list[dict], names: dict[str, str]) -> list[dict]:
    """The gate table's scene cells; codes that are no scene of this host (a host's typo, another host's scene)
    come last, each marked so, rather than read as one of its scenes (an operator walk)."""
    known = [row for row in rows if row["scene"] in names]
    unknown = [row for row in rows if row["scene"] not in names]
    note = gettext("not a scene of this host")
    return _with_scene_cells(known, names) + [
        {**row, "scene_cell": format_html('<code>{}</code> <span class="muted small">({})</span>', row["scene"], note)}
        for row in unknown]


def _gate_reasons(answers: list[dict]) -> list[tuple[str, str]]:
    """The denial reasons the table shows, each with what it means, in the reader's language."""
    codes = sorted({row["reason"] for row in answers if not row["allowed"]})
    labels = dict(GateReason.choices)
    return [(code, str(labels.get(code, ""))) for code in codes]


def _gate_table(answers: list[dict]) -> list[dict]:
    """Per scene: allowed, denied, the deny rate and what denied."""
    scenes: dict[str, dict] = {}
    for row in answers:
        scene = scenes.setdefault(row["scene"], {"scene": row["scene"], "allowed": 0, "denied": 0, "reasons": []})
        if row["allowed"]:
            scene["allowed"] += row["count"]
        else:
            scene["denied"] += row["count"]
            scene["reasons"].append((row["reason"], row["count"]))
    for scene in scenes.values():
        total = scene["allowed"] + scene["denied"]
        scene["deny_rate"] = percent(scene["denied"], total)
    return sorted(scenes.values(), key=lambda s: s["scene"])
