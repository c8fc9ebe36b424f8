"""The Redis cache the test workers use: Django's, except that `clear()` empties only the worker's own keys.

Django's `RedisCache.clear()` flushes the whole Redis database, whatever the key prefix. With xdist, every worker
shares that database, so a test on one worker that starts from an empty cache (throttles, lockouts) used to wipe the
counts of a throttle test running on the other worker at that moment, which then let a sixth application through."""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache


class WorkerRedisCache(RedisCache):
    def clear(self) -> None:
        client = self._cache.get_client(None, write=True)
        pattern = f"{self.key_prefix}:*" if self.key_prefix else "*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) == 500:
                client.delete(*batch)
                batch = []
        if batch:
            client.delete(*batch)
