"""How a contact's steps run on Redis: chosen once, for a client and its options.

A step of a contact (reserve, record the launch, settle, let the indexes go, add a webhook
batch's facts) touches an execution's keys and the global (To, From) and SID indexes, which lie
in other slots. `OneScriptSteps` runs each step as one script across slots, where one server
allows it (ADR 0009); `SlotWiseSteps` runs one script per slot, in an order that keeps the
indexes right (ADR 0004), on a cluster or with `cross_slot_scripts=False`. Both answer alike;
the adapters call the steps and never ask which they hold (ADR 0019).
"""

from __future__ import annotations

from redis.asyncio import RedisCluster

from queue_adapters.redis._contact_steps.one_script import OneScriptSteps
from queue_adapters.redis._contact_steps.protocol import ContactSteps, Reserved, RetryWait
from queue_adapters.redis._contact_steps.slot_wise import SlotWiseSteps
from queue_adapters.redis.connection import RedisClient
from queue_adapters.redis.keys import RedisKeys
from queue_adapters.redis.options import RedisOptions

__all__ = [
    "ContactSteps",
    "OneScriptSteps",
    "Reserved",
    "RetryWait",
    "SlotWiseSteps",
    "contact_steps",
]


def contact_steps(client: RedisClient, keys: RedisKeys, options: RedisOptions) -> ContactSteps:
    """One script per step on one server, unless `options` forbid scripts across slots; one
    script per slot on a cluster, which refuses them."""
    if options.cross_slot_scripts and not isinstance(client, RedisCluster):
        return OneScriptSteps(client, keys, options)
    return SlotWiseSteps(client, keys, options)
