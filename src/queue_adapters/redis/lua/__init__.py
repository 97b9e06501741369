"""The Lua scripts of the Redis adapters, one step each (see `queue_adapters.redis.keys`)."""
