"""Settings for bench/gate.py only: the console's settings plus a bench urlconf with a bare JSON view."""

from console.settings import *  # noqa: F403

ROOT_URLCONF = "bench.gate_urls"
