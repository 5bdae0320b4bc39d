"""The cache hierarchy of the architecture: memory, then Redis, then the database.

Bots use :class:`CacheHierarchy` with keys from :class:`CacheKeys`; :class:`ResilientRedis` is the
one Redis connection (and outage policy) a process can share with the rate limiter.
"""

from botfleet.cache.hierarchy import CacheHierarchy
from botfleet.cache.keys import CacheKeys
from botfleet.cache.memory import MemoryCache
from botfleet.cache.resilience import RedisUnavailableError, ResilientRedis

__all__ = ["CacheHierarchy", "CacheKeys", "MemoryCache", "RedisUnavailableError", "ResilientRedis"]
