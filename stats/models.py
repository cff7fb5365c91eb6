"""Usage statistics: raw events as hosts post them, and the rollups dashboards read.

Raw events are kept for a configurable retention (a table partitioned by month on PostgreSQL, so
old months are dropped whole); everything a dashboard shows comes from the rollups, whose size
grows with programs × scenes × days and with users, never with the number of events:

- `DailyStats`: additive counters per program × host × scene × day;
- `UserSet`: the exact set of users (as a bitmap over per-program user ordinals) who were active,
  shared, or were new on a day, at three levels (all hosts, one host, one scene), so that weekly,
  monthly and custom-range unique counts and retention are exact unions and intersections;
- `Share`: one row per share, with its depth and root, for cascades and chains;
- `GateDaily`: the share gate's answers per scene and reason.

The rollups' `program` keys carry no index of their own: each table's unique constraint (or
index) starts with the program, and every index costs the drain a write per row.
"""

import secrets

from django.db import models

from programs.models import MiniProgram


class EventType(models.TextChoices):
    VISIT = "visit"
    SHARE = "share"
    SHARE_OPEN = "share_open"
    NEW_USER = "new_user"
    PAYMENT = "payment"


class RawEvent(models.Model):
    """One event as a host posted it. On PostgreSQL the table is partitioned by month of `day`."""

    event_key = models.CharField(max_length=100, primary_key=True, help_text="<host>:<event id>")
    host = models.CharField(max_length=30)
    scene = models.CharField(max_length=60)
    program_id = models.BigIntegerField()
    type = models.CharField(max_length=12, choices=EventType.choices)
    user_hash = models.CharField(max_length=32, help_text="Keyed hash of the host user id; never the id itself.")
    occurred_at = models.DateTimeField()
    day = models.DateField(help_text="The day in the platform's time zone.")
    page = models.CharField(max_length=200, blank=True, default="")
    page_views = models.PositiveIntegerField(default=0)
    stay_seconds = models.PositiveIntegerField(default=0)
    share_id = models.CharField(max_length=64, blank=True, default="")
    parent_share_id = models.CharField(max_length=64, blank=True, default="")
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    received_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["program_id", "day"])]

    def __str__(self):
        return self.event_key


class EventKey(models.Model):
    """Event ids already stored, so that a retried batch never counts twice (pruned after the late window)."""

    event_key = models.CharField(max_length=100, primary_key=True)
    day = models.DateField(db_index=True)


class DailyStats(models.Model):
    """Counters per program × host × scene × day. Distinct counts are those of this one scene."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    host = models.CharField(max_length=30)
    scene = models.CharField(max_length=60)
    day = models.DateField()
    visits = models.PositiveBigIntegerField(default=0)
    page_views = models.PositiveBigIntegerField(default=0)
    stay_seconds = models.PositiveBigIntegerField(default=0)
    unique_visitors = models.PositiveIntegerField(default=0)
    new_users = models.PositiveBigIntegerField(default=0)
    new_users_via_share = models.PositiveBigIntegerField(default=0)
    shares = models.PositiveBigIntegerField(default=0)
    share_users = models.PositiveIntegerField(default=0)
    share_opens = models.PositiveBigIntegerField(default=0)
    payments = models.PositiveBigIntegerField(default=0)
    revenue_fen = models.PositiveBigIntegerField(default=0, help_text="Revenue in fen (0.01 yuan), exact.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "host", "scene", "day"], name="one_daily_stats_row"),
        ]
        indexes = [models.Index(fields=["program", "day"]), models.Index(fields=["host", "day"])]

    def __str__(self):
        return f"{self.program_id} {self.scene} {self.day}"


class StatsUser(models.Model):
    """A program's host user (hashed), numbered densely so that sets of users are small bitmaps."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    user_hash = models.CharField(max_length=32)
    ordinal = models.PositiveIntegerField()
    first_day = models.DateField()
    new_on = models.DateField(
        null=True, blank=True,
        help_text="The day of the user's new_user event that counted; a later one for the same user counts nothing.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "user_hash"], name="one_stats_user_per_program"),
            models.UniqueConstraint(fields=["program", "ordinal"], name="one_ordinal_per_program"),
        ]


def new_revision() -> int:
    """A new set's first revision: random, so that a row whose id is reused (after a reset) never matches a kept one."""
    return secrets.randbits(62)


class UserSet(models.Model):
    """The users of one kind on one day, as a bitmap over `StatsUser.ordinal` (bit n = ordinal n).

    `host` and `scene` are empty at the broader levels: ("", "") is every host, (host, "") one host.
    """

    class Kind(models.TextChoices):
        ACTIVE = "active"  # opened the program (a visit)
        SHARERS = "sharers"  # shared it
        NEW = "new"  # new users (the cohort for retention)

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    host = models.CharField(max_length=30, blank=True)
    scene = models.CharField(max_length=60, blank=True)
    day = models.DateField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    bits = models.BinaryField(default=b"")
    count = models.PositiveIntegerField(default=0)
    revision = models.BigIntegerField(
        default=new_revision,
        help_text="Changes with every write of the bits, so that readers may keep the bitmaps they read (stats.setcache).",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "host", "scene", "day", "kind"], name="one_user_set"),
        ]

    def save(self, *args, **kwargs):
        # The drain writes sets in SQL and moves the revision on; a save through the ORM (a test, a shell)
        # must too, or a reader keeping the old bits would not see the change.
        self.revision = new_revision()
        super().save(*args, **kwargs)


# A host's code (30), a colon and the host's share id (64).
SCOPED_SHARE_ID_LENGTH = 95


class Share(models.Model):
    """One share, placed in its cascade: depth 1 for a sharer who did not arrive through a share."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    host = models.CharField(max_length=30)
    scene = models.CharField(max_length=60)
    # `<host>:<share id>`: each host's share ids are its own (stats.drain._host_scoped).
    share_id = models.CharField(max_length=SCOPED_SHARE_ID_LENGTH)
    parent_share_id = models.CharField(max_length=SCOPED_SHARE_ID_LENGTH, blank=True)
    root_share_id = models.CharField(max_length=SCOPED_SHARE_ID_LENGTH)
    depth = models.PositiveSmallIntegerField(default=1)
    user_hash = models.CharField(max_length=32)
    day = models.DateField()
    opens = models.PositiveIntegerField(default=0)
    new_users = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "share_id"], name="one_share_per_id")]
        indexes = [
            models.Index(fields=["program", "root_share_id"]),
            models.Index(fields=["program", "parent_share_id"]),
            models.Index(fields=["program", "day"]),
        ]


class EarlyArrival(models.Model):
    """Opens and new users that came through a share not drained yet (a host's late batch, two workers):
    added to the share when it arrives, so that its chain counts them. Pruned after the late window."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    share_id = models.CharField(max_length=SCOPED_SHARE_ID_LENGTH)  # `<host>:<share id>`, as Share's
    opens = models.PositiveIntegerField(default=0)
    new_users = models.PositiveIntegerField(default=0)
    last_day = models.DateField(help_text="The day of the latest of these arrivals.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "share_id"], name="one_early_arrival_per_share")]


class GateDaily(models.Model):
    """The share gate's answers per program × scene × day × reason."""

    appid = models.CharField(max_length=40, blank=True, help_text="As the host sent it, even when unknown.")
    host = models.CharField(max_length=30)
    scene = models.CharField(max_length=60)
    day = models.DateField()
    allowed = models.BooleanField()
    reason = models.CharField(max_length=40)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["appid", "host", "scene", "day", "allowed", "reason"], name="one_gate_daily_row"
            ),
        ]
        indexes = [models.Index(fields=["host", "day"]), models.Index(fields=["appid", "day"])]


class GateBatch(models.Model):
    """A batch of the gate's answers that was counted: a batch taken again after a crash is not counted twice."""

    token = models.CharField(max_length=64, unique=True)
    counted_at = models.DateTimeField(db_index=True)


class ProgramStatsState(models.Model):
    """Per-program bookkeeping of the drain; its row lock serialises drains of one program."""

    program = models.OneToOneField(MiniProgram, on_delete=models.CASCADE, primary_key=True, related_name="+")
    next_ordinal = models.PositiveIntegerField(default=0)


class ShareDepthDaily(models.Model):
    """Shares per cascade depth per program × host × scene × day (the depth distribution)."""

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    host = models.CharField(max_length=30)
    scene = models.CharField(max_length=60)
    day = models.DateField()
    depth = models.PositiveSmallIntegerField()
    shares = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "host", "scene", "day", "depth"], name="one_share_depth_row"),
        ]


class ShareChain(models.Model):
    """A cascade of two or more shares from one root, summarised; single shares are not chains.

    Rewritten from `Share` whenever a batch touches one of its shares, so that the dashboard's
    "top chains" read a few rows instead of every share.
    """

    program = models.ForeignKey(MiniProgram, on_delete=models.CASCADE, related_name="+", db_index=False)
    root_share_id = models.CharField(max_length=SCOPED_SHARE_ID_LENGTH)  # `<host>:<share id>`, as Share's
    host = models.CharField(max_length=30)
    scene = models.CharField(max_length=60)
    day = models.DateField(help_text="The day of the chain's first share.")
    root_user_hash = models.CharField(max_length=32, blank=True)
    size = models.PositiveIntegerField()
    depth = models.PositiveSmallIntegerField()
    opens = models.PositiveIntegerField(default=0)
    new_users = models.PositiveIntegerField(default=0)
    levels = models.JSONField(default=list, help_text="Per depth: shares, opens, new users.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["program", "root_share_id"], name="one_chain_per_root")]
        indexes = [
            models.Index(fields=["program", "day", "size"]),
            # "Top chains" walks a program's chains largest first and stops at the fifth in the range,
            # instead of sorting every chain of the range (a hundred thousand at ten million events).
            models.Index(fields=["program", "-size", "-opens", "root_share_id"], name="stats_chain_largest_first"),
        ]
