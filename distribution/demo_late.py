"""After every app's demo data: one copyable command that asks the share gate with the demo host credential."""

from django.conf import settings

from distribution.models import Grant
from hosts.demo import DEMO_HOST
from hosts.models import Host
from hosts.services import demo_credential
from programs.models import Version


def _demo_target() -> tuple[str, str] | None:
    """(appid, scene): a program granted weibo.feed if the demo has one, else any released program on weibo."""
    grant = (Grant.objects.filter(scene__code="weibo.feed", status=Grant.Status.ACTIVE, program__deleted_at=None)
             .order_by("program__appid").select_related("program").first())
    if grant is not None:
        return grant.program.appid, "weibo.feed"
    released = Version.objects.filter(status=Version.Status.RELEASED, program__deleted_at=None).order_by(
        "program__appid").values_list("program__appid", "approved_hosts")
    for appid, hosts in released:
        if not hosts or DEMO_HOST in hosts:
            return appid, f"{DEMO_HOST}.private_message"
    return None


def load(demo) -> None:
    host = Host.objects.filter(code=DEMO_HOST).first()
    target = _demo_target()
    if host is None or target is None:
        return
    credential, secret = demo_credential(host=host)
    appid, scene = target
    # --url: the client's default (port 8000) refused the command under `PORT=8792 make run`.
    demo.lines.append(
        f"Ask the share gate: .venv/bin/python -m hosts.client --url {settings.SITE_URL} --key {credential.key_id} "
        f"--secret {secret} "
        f"share-check --host {DEMO_HOST} --appid {appid} --scene {scene} --user demo-user-1")
