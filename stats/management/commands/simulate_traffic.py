"""Post a month (or --days) of realistic usage events for released programs, as hosts would."""


from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings
from django.utils import timezone

from hosts.models import Host, Scene
from programs.models import MiniProgram, Version
from stats.ingest import events_ingest
from stats.simulation import Placement, Simulator, batches

DEFAULT_HOSTS = ("weibo", "alipay")


class Command(BaseCommand):
    help = "Send realistic usage events for released programs through the ingest (share chains, payments …)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--programs", type=int, default=3, help="How many released programs (newest first).")
        parser.add_argument("--appid", action="append", default=[], help="These programs instead (repeatable).")
        parser.add_argument("--users-per-day", type=int, default=40, help="New users per day and host.")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, **options):
        placements = self._placements(options)
        if not placements:
            raise CommandError("No released program to send traffic for: release one first (or name --appid).")
        sim = Simulator(placements, days=options["days"], new_users_per_day=options["users_per_day"],
                        seed=options["seed"])
        totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
        # Backfilling a month is older than hosts may post: this local command may (SPEC's window is for hosts).
        with override_settings(STATS_LATE_EVENT_DAYS=max(settings.STATS_LATE_EVENT_DAYS, options["days"] + 1)):
            hosts = {h.code: h for h in Host.objects.all()}
            for batch in batches(sim.events(now=timezone.now())):
                for host_code in {e["scene"].split(".")[0] for e in batch}:
                    answer = events_ingest(host=hosts[host_code],
                                           events=[e for e in batch if e["scene"].startswith(f"{host_code}.")])
                    totals["accepted"] += answer.accepted
                    totals["duplicates"] += answer.duplicates
                    totals["rejected"] += len(answer.rejected)
        names = ", ".join(sorted({p.appid for p in placements}))
        self.stdout.write(f"Sent {totals['accepted']} events ({totals['duplicates']} duplicates, "
                          f"{totals['rejected']} refused) for {names} over {options['days']} days.")

    def _placements(self, options) -> list[Placement]:
        programs = MiniProgram.objects.filter(deleted_at=None, versions__status=Version.Status.RELEASED)
        if options["appid"]:
            programs = programs.filter(appid__in=options["appid"])
        programs = programs.distinct().order_by("-created_at")[: options["programs"]]
        placements = []
        for program in programs:
            hosts = _released_hosts(program)
            for host in [h for h in DEFAULT_HOSTS if h in hosts] or sorted(hosts)[:1]:
                scenes = tuple(Scene.objects.filter(host__code=host, needs_whitelist=False).values_list("code", flat=True))
                if scenes:
                    placements.append(Placement(appid=program.appid, host=host, scenes=scenes))
        return placements


def _released_hosts(program: MiniProgram) -> set[str]:
    release = program.versions.filter(status=Version.Status.RELEASED).first()
    every = set(Host.objects.filter(active=True).values_list("code", flat=True))
    return set(release.approved_hosts) & every if release and release.approved_hosts else every


