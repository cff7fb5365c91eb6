"""Realistic usage traffic for demos and benchmarks: what hosts would post for a month of use.

Deterministic for a seed (so loading the demo twice posts the same event ids, which the ingest
counts once). Users arrive every day, some on their own and some through shares; they come back
with a fading probability; a few share, their shares are opened, some openers are new users who
share again, so chains branch and die out; visits follow a daily rhythm; some users pay.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# Share of the day's traffic in each hour (0–23): quiet nights, a lunch peak and an evening peak.
HOURLY = [1, 1, 1, 1, 1, 2, 3, 5, 6, 6, 7, 8, 9, 7, 6, 6, 6, 7, 8, 10, 11, 10, 6, 3]


@dataclass(frozen=True)
class Placement:
    """Where a program is used: its AppID, a host and that host's scenes it appears in."""

    appid: str
    host: str
    scenes: tuple[str, ...]


@dataclass
class _User:
    user_id: str
    joined: int  # day index
    via_share: str = ""


@dataclass
class Simulator:
    placements: list[Placement]
    days: int = 30
    new_users_per_day: int = 40
    seed: int = 7
    time_zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    share_probability: float = 0.08
    pay_probability: float = 0.03

    def events(self, *, now: datetime) -> Iterator[dict]:
        """Every event of every placement, day by day, oldest first, none after `now`."""
        for placement in self.placements:
            rng = random.Random(f"{self.seed}:{placement.appid}:{placement.host}")
            yield from _PlacementRun(self, placement, rng, now).run()


class _PlacementRun:
    def __init__(self, sim: Simulator, placement: Placement, rng: random.Random, now: datetime):
        self.sim, self.placement, self.rng, self.now = sim, placement, rng, now
        self.users: list[_User] = []
        self.serial = 0
        self.first_day = (now.astimezone(sim.time_zone) - timedelta(days=sim.days - 1)).replace(
            hour=0, minute=0, second=0, microsecond=0)

    def _id(self, kind: str) -> str:
        self.serial += 1
        return f"sim-{self.placement.appid[-6:]}-{self.placement.host}-{kind}-{self.serial}"

    def _moment(self, day: int) -> datetime:
        hour = self.rng.choices(range(24), weights=HOURLY)[0]
        return self.first_day + timedelta(days=day, hours=hour, minutes=self.rng.randrange(60),
                                          seconds=self.rng.randrange(60))

    def _event(self, kind: str, user: _User, moment: datetime, **fields) -> dict:
        return {"id": self._id(kind), "type": kind, "appid": self.placement.appid,
                "scene": fields.pop("scene", None) or self.rng.choice(self.placement.scenes),
                "user": user.user_id, "time": moment.isoformat(), **fields}

    def run(self) -> Iterator[dict]:
        for day in range(self.sim.days):
            events = sorted(self._day(day), key=lambda e: e["time"])
            yield from (e for e in events if datetime.fromisoformat(e["time"]) <= self.now)

    def _day(self, day: int) -> list[dict]:
        events: list[dict] = []
        weekend = (self.first_day + timedelta(days=day)).weekday() >= 5
        arrivals = int(self.sim.new_users_per_day * (1.3 if weekend else 1.0) * self.rng.uniform(0.8, 1.2))
        for _ in range(arrivals):
            events += self._arrive(day)
        for user in list(self.users):
            age = day - user.joined
            if age > 0 and self.rng.random() < 0.45 * (0.88 ** age) + 0.04:
                events += self._session(day, user)
                if self.rng.random() < 0.3:  # some come back later the same day
                    events += self._session(day, user)
        return events

    def _arrive(self, day: int, via_share: str = "", scene: str = "", depth: int = 1, user_id: str = "") -> list[dict]:
        user = _User(user_id=user_id or f"u{self.rng.getrandbits(40):010x}", joined=day, via_share=via_share)
        self.users.append(user)
        moment = self._moment(day)
        fields = {"share_id": via_share} if via_share else {}
        events = [self._event("new_user", user, moment, scene=scene, **fields)]
        return events + self._session(day, user, moment=moment, scene=scene, depth=depth)

    def _session(self, day: int, user: _User, *, moment: datetime | None = None, scene: str = "",
                 depth: int = 1) -> list[dict]:
        moment = moment or self._moment(day)
        scene = scene or self.rng.choice(self.placement.scenes)
        events = [self._event("visit", user, moment, scene=scene, page="pages/index/index",
                              page_views=self.rng.randint(1, 12), stay_seconds=int(self.rng.expovariate(1 / 140)) % 3600)]
        if self.rng.random() < self.sim.pay_probability:
            amount = round(self.rng.choice([9.9, 19.9, 29.0, 49.0, 99.0, 168.0]) * self.rng.choice([1, 1, 2]), 2)
            events.append(self._event("payment", user, moment + timedelta(minutes=3), scene=scene, amount=amount))
        if self.rng.random() < self.sim.share_probability * (0.85 ** (depth - 1)):
            events += self._share(day, user, moment + timedelta(minutes=5), scene, depth)
        return events

    def _share(self, day: int, user: _User, moment: datetime, scene: str, depth: int) -> list[dict]:
        share_id = self._id("s")
        fields = {"share_id": share_id}
        if user.via_share:
            fields["parent_share_id"] = user.via_share
        events = [self._event("share", user, moment, scene=scene, **fields)]
        for _ in range(min(12, int(self.rng.expovariate(1 / 1.8)))):
            opener_day = min(self.sim.days - 1, day + (self.rng.random() < 0.2))
            opener = _User(user_id=f"o{self.rng.getrandbits(40):010x}", joined=opener_day)
            events.append(self._event("share_open", opener, moment + timedelta(minutes=self.rng.randint(1, 600)),
                                      scene=scene, share_id=share_id))
            if self.rng.random() < 0.35:
                events += self._arrive(opener_day, via_share=share_id, scene=scene, depth=depth + 1,
                                       user_id=opener.user_id)
        return events


def batches(events: Iterator[dict], size: int = 1000) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for event in events:
        batch.append(event)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
