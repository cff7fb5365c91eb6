"""Figures a test module reports at the end of the run, e.g. the API contract's cases per status.

`record(name, counter)` adds to a named tally. The tallies are printed in pytest's terminal summary, once,
summed over every xdist worker: a worker hands its tallies to the controller in `workeroutput`, as xdist
means it to (a worker's own prints are captured and lost). Loaded as a plugin by the root conftest.py.
"""

from collections import Counter

import pytest

_TALLIES: dict[str, Counter] = {}
_FORMATS: dict[str, str] = {}


def record(name: str, counter: Counter, line: str) -> None:
    """Add `counter` to the tally `name`; `line` formats it (`{…}` fields are the tally's keys, and `statuses`
    every key that is a number, e.g. HTTP statuses)."""
    _TALLIES.setdefault(name, Counter()).update(counter)
    _FORMATS[name] = line


def _line(name: str, tally: Counter) -> str:
    numbered = sorted((key, n) for key, n in tally.items() if isinstance(key, int))
    fields = Counter({key: n for key, n in tally.items() if isinstance(key, str)})  # a missing field reads 0
    fields["statuses"] = ", ".join(f"{key}: {n}" for key, n in numbered)
    fields["cases"] = sum(n for _, n in numbered)
    return _FORMATS[name].format_map(fields)


def pytest_sessionfinish(session):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints
        workeroutput["figures"] = {name: (dict(tally), _FORMATS[name]) for name, tally in _TALLIES.items()}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    for name, (tally, line) in getattr(node, "workeroutput", {}).get("figures", {}).items():
        record(name, Counter(tally), line)


def pytest_terminal_summary(terminalreporter):
    for name, tally in sorted(_TALLIES.items()):
        terminalreporter.write_line(_line(name, tally))
