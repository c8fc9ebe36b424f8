"""The test workers share one Redis database: one worker's `cache.clear()` must leave the other's keys alone
(a throttle test on the other worker counts on them)."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from tests.worker_cache import WorkerRedisCache

pytestmark = pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis: set REDIS_URL (CI does)")


def test_each_test_gets_the_cache_whose_clear_keeps_to_its_worker():
    cache = caches["default"]
    assert isinstance(cache, WorkerRedisCache)
    assert cache.key_prefix.startswith("test-")


def test_one_workers_clear_leaves_the_other_workers_keys():
    location = django_settings.CACHES["default"]["LOCATION"]
    mine = WorkerRedisCache(location, {"KEY_PREFIX": "test-clear-mine"})
    theirs = WorkerRedisCache(location, {"KEY_PREFIX": "test-clear-theirs"})
    try:
        for i in range(1200):  # more than one SCAN batch
            mine.set(f"throttle-{i}", i)
        theirs.set("throttle-0", "theirs")
        mine.clear()
        assert mine.get_many([f"throttle-{i}" for i in range(1200)]) == {}
        assert theirs.get("throttle-0") == "theirs"
    finally:
        mine.clear()
        theirs.clear()
