"""Demo accounts and organisations. Every app may have a `demo.py` with `load(demo)`; see demo_data."""

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from console.models import ApiKey, Membership, Organisation, User
from console.roles import Role, StaffGroup, scopes_for_role
from console.services import (
    API_KEY_PREFIX,
    api_key_create,
    api_key_seeded_raw,
    organisation_create,
    organisation_set_verified,
)
from console.twofactor.services import demo_totp_device

DEMO_PASSWORD = "demo-pass-123"
def demo_second_factor_line() -> str:
    """How to get the demo staff's two-factor codes, with this run's VAR_DIR when it has one: without it the
    command opened another database (var/), found no authenticators, and left a new empty database behind."""
    var_dir = os.environ.get("VAR_DIR")
    prefix = f"VAR_DIR={shlex.quote(var_dir)} " if var_dir else ""
    return ("Staff logins (reviewer, operator, admin) then ask for a two-factor code: "
            f"`{prefix}.venv/bin/python manage.py demo_totp` prints the current one for each.")


# The demo people and organisations date from before the demo's first program (34 days ago).
PEOPLE_DAYS_AGO = 45


@dataclass
class Demo:
    """What the apps' demo loaders share: the demo people and organisations, lines to print, the clock."""

    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organisation] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    now: datetime = field(default_factory=timezone.now)
    traffic: bool = True  # a month of simulated stats traffic (stats.demo_late); `demo_data --without-traffic`

    @contextmanager
    def ago(self, days: float = 0, hours: float = 0) -> Iterator[datetime]:
        """Run what is inside at that moment before the load began, clock ticking from there.

        The demo's past (a month of releases, versions waiting and overdue in the review queue) is
        made by calling the real services at the time it happened, rather than by moving timestamps
        afterwards: created, submitted, due, decided, history, audit and notification times then
        agree, because each is what the service itself wrote.
        """
        moment = self.now - timedelta(days=days, hours=hours)
        with time_machine.travel(moment, tick=True):
            yield moment


def _user(email: str, full_name: str, *, superuser=False, groups=()) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        maker = User.objects.create_superuser if superuser else User.objects.create_user
        user = maker(email=email, password=DEMO_PASSWORD, full_name=full_name)
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    if user.email_verified_at is None:  # demo addresses count as confirmed
        User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
        user.email_verified_at = timezone.now()
    if user.is_platform_staff:  # staff sign in with a second factor: a fixed demo authenticator
        demo_totp_device(user=user)
    return user


def _org(owner: User, slug: str, name: str, kind: str) -> Organisation:
    org = Organisation.objects.filter(slug=slug).first()
    if org is None:
        org = organisation_create(user=owner, name=name, kind=kind)
        Organisation.objects.filter(pk=org.pk).update(slug=slug)
        org.refresh_from_db()
    return org


def _member(org: Organisation, user: User, role: str) -> None:
    Membership.objects.get_or_create(organisation=org, user=user, defaults={"role": role})


def load(demo: Demo) -> None:
    with demo.ago(days=PEOPLE_DAYS_AGO):
        _people_and_organisations(demo)
    _api_key(demo)
    demo.lines.append(demo_second_factor_line())


def _people_and_organisations(demo: Demo) -> None:
    dev = _user("developer@example.com", "Dana Developer")
    reviewer = _user("reviewer@example.com", "Riley Reviewer", groups=[StaffGroup.REVIEWERS])
    operator = _user("operator@example.com", "Oscar Operator", groups=[StaffGroup.OPERATORS])
    admin = _user("admin@example.com", "Ada Admin", superuser=True, groups=[StaffGroup.ADMINS])
    teammate = _user("teammate@example.com", "Tao Teammate")
    outsider = _user("other@example.com", "Olga Other")
    demo.users.update(developer=dev, reviewer=reviewer, operator=operator, admin=admin,
                      teammate=teammate, outsider=outsider)

    studio = _org(dev, "demo-studio", "Demo Studio", Organisation.Kind.ENTERPRISE)
    if not studio.verified:
        organisation_set_verified(org=studio, actor=admin, verified=True)
    _member(studio, teammate, Role.DEVELOPER)
    # The platform operator is no member of Demo Studio: a member may not decide its organisation's requests
    # (distribution.services.decision_blocker), and the demo queue is Demo Studio's. Older demo databases
    # made them one; that membership goes.
    Membership.objects.filter(organisation=studio, user=operator).delete()
    other = _org(outsider, "other-org", "Other Org", Organisation.Kind.INDIVIDUAL)
    demo.orgs.update(studio=studio, other=other)


def _api_key(demo: Demo) -> None:
    dev, studio = demo.users["developer"], demo.orgs["studio"]
    # Look the key up by what is printed (its prefix), so the printed key always works: a revoked demo
    # key is restored rather than re-created (the prefix is unique), and a new SECRET_KEY gets a new key.
    raw = api_key_seeded_raw("demo-key")
    existing = ApiKey.objects.filter(prefix=raw[len(API_KEY_PREFIX):].split("_", 1)[0]).first()
    if existing is None:
        api_key_create(
            org=studio, user=dev, role=Role.OWNER, name="Demo key", scopes=scopes_for_role(Role.OWNER), seed="demo-key"
        )
    elif existing.revoked_at is not None:
        ApiKey.objects.filter(pk=existing.pk).update(revoked_at=None)
    demo.lines.append(f"Demo API key (Demo Studio, all scopes): {raw}")

