"""`make run` (demo_data) prints the demo host credential and a share-gate command that works."""

import re
import shlex
from io import StringIO

from django.core.management import call_command

from hosts.tests.fixtures import SignedClient


def test_demo_data_prints_a_weibo_credential_and_a_working_gate_command(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("demo_data", "--without-traffic", stdout=out)  # the credential is printed either way
    output = out.getvalue()

    key, secret = re.search(r"^Host credential for weibo: (hk_[0-9a-f]{16}) (hs_[0-9a-f]{48})$", output, re.M).groups()
    command = shlex.split(re.search(r"^Ask the share gate: (.*)$", output, re.M).group(1))
    assert command[:3] == [".venv/bin/python", "-m", "hosts.client"]
    options = dict(zip(command[3::2], command[4::2])) | dict(zip(command[4::2], command[5::2]))
    assert (options["--key"], options["--secret"], options["--host"]) == (key, secret, "weibo")
    assert options["--url"] == settings.SITE_URL  # where the console runs (PORT), not the client's default

    response = SignedClient(key, secret).post("/api/v1/hosts/weibo/share-checks/", {
        "appid": options["--appid"], "scene": options["--scene"], "user": options["--user"]})

    assert response.status_code == 200
    assert response.json() == {"allow": True, "reason": "allowed", "retry_after": None}
