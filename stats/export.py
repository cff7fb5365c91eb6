"""CSV export of every stats table, with the API's metric names as columns.

Booleans are written true and false, as in the API's JSON. Text that a spreadsheet would read as a formula (a cell starting with = + - @, a tab or a carriage
return) is written with a leading apostrophe, as OWASP advises against CSV injection. Our own codes
cannot start so (scene codes are checked, share ids are ids), but an export is opened far from here.

The file a person downloads from a page is meant for a spreadsheet: there a text of digits (an AppID,
a host's share id) is written as the formula ="…", which Excel and LibreOffice show as that text. Read as a
number, a 16-digit AppID would lose its last digit (spreadsheets keep 15) and "007" its zeros. The
API's file, read by programs, keeps the plain text.
"""

import csv
import io

from stats.selectors import HOST_SERIES, METRICS, RETENTION_DAYS

TABLES = ("series", "breakdown", "retention", "fission", "depths", "chains")
FISSION_SUMMARY = ("share_rate", "opens_per_share", "k_factor", "new_users_via_share", "max_depth")


def stats_csv(stats: dict, table: str, *, for_spreadsheets: bool = False) -> str:
    rows, columns = _table(stats, table)
    return rows_csv(rows, columns, for_spreadsheets=for_spreadsheets)


def rows_csv(rows: list[dict], columns: list[str], *, for_spreadsheets: bool = False) -> str:
    cell = _spreadsheet_cell if for_spreadsheets else _cell
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    """A value as the API's JSON writes it (true/false, not Python's True/False), and never a formula."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _spreadsheet_cell(value):
    """As _cell, and a text of digits stays text in a spreadsheet (see the module's note)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return f'="{value}"'
    return _cell(value)


def _table(stats: dict, table: str) -> tuple[list[dict], list[str]]:
    if table == "series":
        return stats["series"], ["period", "first_day", "last_day", *METRICS]
    if table == "breakdown":
        return stats["breakdown"], ["host", "scene", *METRICS]
    if table == "retention":
        return stats["retention"], ["cohort", "new_users", *(f"day_{n}" for n in RETENTION_DAYS)]
    if table == "fission":  # the section's figures, one row
        return [{name: stats["fission"][name] for name in FISSION_SUMMARY}], list(FISSION_SUMMARY)
    if table == "depths":
        return stats["fission"]["depth_distribution"], ["depth", "shares"]
    if table == "chains":
        rows = [
            {"root_share_id": chain["root_share_id"], "root_sharer": chain["root_sharer"], **level}
            for chain in stats["fission"]["top_chains"] for level in chain["levels"]
        ]
        return rows, ["root_share_id", "root_sharer", "depth", "shares", "opens", "new_users"]
    raise ValueError(table)


HOST_TABLES = {
    "series": ["period", "first_day", "last_day", *HOST_SERIES],
    "scenes": ["scene", *(m for m in METRICS if m not in ("unique_visitors", "share_users"))],
    "programs": ["appid", "name", "visits", "shares", "new_users", "revenue"],
    "gate": ["scene", "allowed", "reason", "count"],
}
