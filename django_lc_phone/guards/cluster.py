"""A Django cache backend on Redis Cluster, for the limits (and anything else a site caches).

Django's own Redis backend speaks to one server (or a primary and its replicas); redis-py's
:class:`~redis.cluster.RedisCluster` speaks to a cluster: it learns the slot map from any node
given, follows ``MOVED`` and ``ASK`` redirects and fails over with the cluster. This backend is
Django's, with that client underneath and the few calls that name several keys made safe for
keys in different slots. The limiter's scripts run on it unchanged: every key they name carries
the hash tag ``{lc_phone}`` (``windows.KEY_TAG``), so one slot holds them all.

Use it as ``CACHES["limits"] = {"BACKEND": "django_lc_phone.guards.cluster.RedisClusterCache",
"LOCATION": "redis://node-1:6379"}`` (one node is enough; ``OPTIONS`` go to ``RedisCluster``),
and ``LC_PHONE["CACHE"] = "limits"``. docs/security.md says more, Sentinel included.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class RedisClusterCacheClient(RedisCacheClient):
    """Django's Redis cache client over one shared :class:`~redis.cluster.RedisCluster`."""

    _servers: list[str]
    _serializer: Any

    def __init__(self, servers: list[str], **options: Any) -> None:
        super().__init__(servers, **options)
        self._cluster_options = options
        self._cluster: Any = None
        self._lock = threading.Lock()

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        """The cluster client (thread-safe; one per cache, whatever the key)."""
        if self._cluster is None:
            with self._lock:
                if self._cluster is None:
                    from redis.cluster import RedisCluster

                    self._cluster = RedisCluster.from_url(self._servers[0], **self._cluster_options)
        return self._cluster

    def get_many(self, keys: Iterable[Any]) -> dict[Any, Any]:
        """``MGET`` per slot: the keys of one call may live on several nodes."""
        names = list(keys)
        values = self.get_client().mget_nonatomic(names)
        pairs = zip(names, values, strict=True)
        return {k: self._serializer.loads(v) for k, v in pairs if v is not None}

    def set_many(self, data: Mapping[Any, Any], timeout: Any) -> None:
        """One ``SET`` per key, sent together (a cluster pipeline groups them by node); a
        timeout of 0 expires them at once, as Django's own ``set_many`` does (``EX 0`` is an
        error to Redis)."""
        pipeline = self.get_client().pipeline()
        for name, value in data.items():
            if timeout == 0:
                pipeline.delete(name)
            else:
                pipeline.set(name, self._serializer.dumps(value), ex=timeout)
        pipeline.execute()

    def clear(self) -> bool:
        """Empty every primary (Django's ``clear()`` empties the whole database too)."""
        from redis.cluster import RedisCluster

        return bool(self.get_client().flushdb(target_nodes=RedisCluster.PRIMARIES))


class RedisClusterCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` on Redis Cluster."""

    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisClusterCacheClient
