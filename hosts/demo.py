"""Demo host credential: weibo's, derived from SECRET_KEY so that every `make run` prints the same one."""

from hosts.models import Host
from hosts.services import demo_credential

DEMO_HOST = "weibo"


def load(demo) -> None:
    host = Host.objects.filter(code=DEMO_HOST).first()
    if host is None:
        return
    credential, secret = demo_credential(host=host, actor=demo.users.get("admin"))
    demo.lines.append(f"Host credential for {DEMO_HOST}: {credential.key_id} {secret}")
