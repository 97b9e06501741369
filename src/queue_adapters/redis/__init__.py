"""Redis adapters of the storage ports (redis-py asyncio; one server or a Redis Cluster).

The key layout is drawn in `keys`; ADR 0004 explains it and the exactly-once publishing.
How a contact's steps run, one script each on one server or one script per slot on a
cluster, is chosen once, in `_contact_steps` (ADR 0009, 0019).
"""

from queue_adapters.redis.abandonment import RedisAbandonmentCounters
from queue_adapters.redis.active_calls import RedisActiveCallRegistry
from queue_adapters.redis.assembly import RedisAssemblyStore
from queue_adapters.redis.campaign_store import RedisCampaignExecutionStore
from queue_adapters.redis.connection import RedisClient, connect
from queue_adapters.redis.contact_cache import RedisContactCache
from queue_adapters.redis.control_stream import RedisControlStream
from queue_adapters.redis.dnc import RedisDoNotCallLists
from queue_adapters.redis.event_publisher import RedisEventPublisher
from queue_adapters.redis.keys import ExecutionKeys, RedisKeys
from queue_adapters.redis.launch_limiter import RedisLaunchLimiter
from queue_adapters.redis.leases import RedisExecutionLeases
from queue_adapters.redis.options import RedisOptions
from queue_adapters.redis.queue_state import RedisQueueStateStore
from queue_adapters.redis.stats_source import RedisPacingStatsSource
from queue_adapters.redis.waiting import RedisWaitingRecords

__all__ = [
    "ExecutionKeys",
    "RedisAbandonmentCounters",
    "RedisActiveCallRegistry",
    "RedisAssemblyStore",
    "RedisCampaignExecutionStore",
    "RedisClient",
    "RedisContactCache",
    "RedisControlStream",
    "RedisDoNotCallLists",
    "RedisEventPublisher",
    "RedisExecutionLeases",
    "RedisKeys",
    "RedisLaunchLimiter",
    "RedisOptions",
    "RedisPacingStatsSource",
    "RedisQueueStateStore",
    "RedisWaitingRecords",
    "connect",
]
