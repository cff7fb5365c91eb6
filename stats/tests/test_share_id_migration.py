"""Migration 0011: share ids stored before host-scoped ids are named `<host>:<id>` as the drain names them now."""

import importlib
from datetime import date

from django.apps import apps
from django.utils import timezone

from stats import storage
from stats.models import EarlyArrival, RawEvent, Share, ShareChain

migration = importlib.import_module("stats.migrations.0011_host_scoped_share_ids")


def test_stored_shares_chains_and_early_arrivals_take_their_hosts_name(program):
    day = date(2026, 11, 30)
    Share.objects.create(program=program, host="weibo", scene="weibo.feed", share_id="S1", root_share_id="S1",
                         user_hash="u", day=day)
    Share.objects.create(program=program, host="weibo", scene="weibo.feed", share_id="S2", parent_share_id="S1",
                         root_share_id="S1", depth=2, user_hash="u", day=day)
    ShareChain.objects.create(program=program, root_share_id="S1", host="weibo", scene="weibo.feed", day=day,
                              size=2, depth=2)
    storage.create_partitions(storage.missing_partitions({day})())
    EarlyArrival.objects.create(program=program, share_id="S9", opens=1, last_day=day)
    EarlyArrival.objects.create(program=program, share_id="gone", opens=1, last_day=day)  # its raw rows pruned
    RawEvent.objects.create(event_key="alipay:o1", host="alipay", scene="alipay.life_account", program_id=program.pk,
                            type="share_open", user_hash="u", occurred_at=timezone.now(), day=day, share_id="S9",
                            received_at=timezone.now())

    migration.scope_by_host(apps, None)

    assert set(Share.objects.values_list("share_id", "parent_share_id", "root_share_id")) == {
        ("weibo:S1", "", "weibo:S1"), ("weibo:S2", "weibo:S1", "weibo:S1")}
    assert list(ShareChain.objects.values_list("root_share_id", flat=True)) == ["weibo:S1"]
    assert list(EarlyArrival.objects.values_list("share_id", flat=True)) == ["alipay:S9"]
    assert RawEvent.objects.get().share_id == "S9"
