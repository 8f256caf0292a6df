"""What a Redis cache's server does when it is full, asked once with a short timeout.

The limits live in the cache named by ``LC_PHONE["CACHE"]``; a Redis server evicts keys once
``maxmemory`` is reached unless its ``maxmemory-policy`` is ``noeviction``. Every limit key
carries an expiry, so the ``volatile-*`` policies evict them too. System check
``lc_phone.E013`` reports a policy that evicts, and ``lc_phone.W006`` a server it cannot ask.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Final

from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache

# Seconds to connect and to wait for the answer: checks run at every start-up (runserver,
# migrate), so an unreachable server costs this once, never a hang.
TIMEOUT: Final = 1.0
NO_EVICTION: Final = "noeviction"


@dataclass(frozen=True)
class MemoryPolicy:
    """A server's ``maxmemory-policy``, and its ``maxmemory`` in bytes (0: no limit)."""

    policy: str
    maxmemory: int

    @property
    def evicts(self) -> bool:
        """Whether filling the server removes keys."""
        return self.policy != NO_EVICTION and self.maxmemory != 0


def is_redis(backend: type) -> bool:
    """Whether ``backend`` is Django's ``RedisCache`` or django-redis's (or a subclass)."""
    return issubclass(backend, (RedisCache, *_django_redis()))


def client_of(cache: BaseCache) -> Any:
    """The Redis client of the server that takes the writes of ``cache`` (a Redis cache)."""
    if isinstance(cache, RedisCache):
        return cache._cache.get_client(write=True)
    django_redis: Any = cache
    return django_redis.client.get_client(write=True)


def _django_redis() -> tuple[type, ...]:
    """django-redis's backend class, when that package is installed (it is not ours to need)."""
    try:
        module = importlib.import_module("django_redis.cache")
    except ImportError:
        return ()
    return (module.RedisCache,)


def read(client: Any) -> MemoryPolicy:
    """Ask the server behind ``client`` (``CONFIG GET maxmemory*``) on a connection of its own
    with :data:`TIMEOUT` and no retries; raises whatever redis-py raises when it cannot
    (unreachable, CONFIG disabled or renamed, as managed Redis services do). Behind a Redis
    Cluster client every primary is asked, and the first that evicts is the answer."""
    from redis.cluster import RedisCluster

    if isinstance(client, RedisCluster):
        primaries = client.get_primaries()  # type: ignore[no-untyped-call]
        policies = [read(node.redis_connection) for node in primaries]
        return next((p for p in policies if p.evicts), policies[0])
    return _read_one(client)


def _read_one(client: Any) -> MemoryPolicy:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    pool = client.connection_pool
    options = {
        **pool.connection_kwargs,  # the cache's own address, credentials, TLS and database
        "socket_timeout": TIMEOUT,
        "socket_connect_timeout": TIMEOUT,
        "retry_on_timeout": False,
        "retry_on_error": [],
        "retry": Retry(NoBackoff(), 0),
    }
    probe = redis.ConnectionPool(connection_class=pool.connection_class, **options)
    try:
        config = redis.Redis(connection_pool=probe).config_get("maxmemory*")
    finally:
        probe.disconnect()
    return MemoryPolicy(str(config["maxmemory-policy"]), int(str(config["maxmemory"])))
