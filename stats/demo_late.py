"""A month of simulated, signed traffic for the demo's released programs, so every dashboard has data."""

from io import StringIO

from django.core.management import call_command


def load(demo) -> None:
    if not demo.traffic:
        return
    out = StringIO()
    # Through the real signed ingest endpoint (in-process); the worker stores the batches once the demo
    # commits. Loading the demo again posts the same event ids: the ingest counts them once.
    call_command("simulate_traffic", "--days", "30", "--programs", "3", "--users-per-day", "25", stdout=out)
    # The same words every time: a second load counts its events as duplicates.
    demo.lines.append("Stats: a month of simulated traffic for the demo's released programs "
                      "(python manage.py simulate_traffic sends more).")
