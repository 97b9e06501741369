"""The composition root: one dependency-injector container wiring settings, adapters and the
core services. What each is told comes from the settings' groups and what they derive
(`Settings.runner`, `.budget`, `.redis_keys`, `.redis_options`). Tests override providers
(`container.launcher.override(...)`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dependency_injector import containers, providers

from queue_adapters.http.metrics import QueueMetrics
from queue_adapters.redis import (
    RedisAbandonmentCounters,
    RedisActiveCallRegistry,
    RedisAssemblyStore,
    RedisCampaignExecutionStore,
    RedisClient,
    RedisContactCache,
    RedisControlStream,
    RedisDoNotCallLists,
    RedisEventPublisher,
    RedisExecutionBoard,
    RedisExecutionLeases,
    RedisLaunchLimiter,
    RedisPacingStatsSource,
    RedisQueueStateStore,
    RedisWaitingRecords,
    connect,
)
from queue_adapters.system_clock import SystemClock
from queue_adapters.twilio import (
    EventStreamsProvisioner,
    StudioCallLauncher,
    TwilioRest,
    open_twilio_rest,
)
from queue_adapters.zones.phonenumbers_zones import PhonenumbersContactZones
from queue_app.instrumented import CountingCache, CountingLauncher
from queue_app.readings import MetricReadings
from queue_app.setting_groups import RedisGroup, TwilioGroup
from queue_app.settings import Settings
from queue_app.shared_reads import SharedPacingStats, StateSweep
from queue_core.domain.tokens import CallstatusTokens
from queue_core.services.runner import RunnerPorts
from queue_core.services.supervisor import QueueSupervisor

__all__ = ["Container", "twilio_rest"]


async def _redis(settings: RedisGroup) -> AsyncIterator[RedisClient]:
    # A blocking control read waits up to 1 s: the socket timeout must be longer.
    client = await connect(settings.url, socket_timeout=10, socket_connect_timeout=5)
    try:
        yield client
    finally:
        await client.aclose()


def twilio_rest(settings: TwilioGroup) -> TwilioRest:
    """The Twilio REST client the settings describe; build it inside the running loop."""
    return open_twilio_rest(
        account_sid=settings.account_sid,
        auth_token=settings.auth_token.get_secret_value() or None,
        api_key=settings.api_key or None,
        api_secret=settings.api_secret.get_secret_value() or None,
        base_url=settings.base_url,
        timeout_s=settings.timeout_s,
    )


async def _twilio(settings: TwilioGroup) -> AsyncIterator[TwilioRest]:
    rest = twilio_rest(settings)
    try:
        yield rest
    finally:
        await rest.close()


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    keys = settings.provided.redis_keys
    options = settings.provided.redis_options
    tokens = providers.Singleton(CallstatusTokens, settings.provided.callstatus_key.call())

    redis = providers.Resource(_redis, settings.provided.redis)
    twilio = providers.Resource(_twilio, settings.provided.twilio)

    metrics = providers.Singleton(QueueMetrics)

    redis_cache = providers.Singleton(RedisContactCache, redis, keys=keys, options=options)
    cache = providers.Singleton(CountingCache, redis_cache, metrics, clock)
    calls = providers.Singleton(RedisActiveCallRegistry, redis, keys=keys, options=options)
    assembly = providers.Singleton(RedisAssemblyStore, redis, keys=keys, options=options)
    # The runners decide every poll interval: the stats of a task queue are read once in that
    # time for all of its executions (ADR 0010).
    stats = providers.Singleton(
        SharedPacingStats,
        providers.Singleton(RedisPacingStatsSource, redis, keys=keys),
        clock,
        settings.provided.pacing.poll_interval_s,
    )
    states = providers.Singleton(RedisQueueStateStore, redis, keys=keys, options=options)
    # Reads the stored state of every runner of this instance in one request (ADR 0010).
    state_sweep = providers.Singleton(StateSweep, states, clock)
    events = providers.Singleton(RedisEventPublisher, redis, keys=keys, options=options)
    executions = providers.Singleton(RedisCampaignExecutionStore, redis, keys=keys)
    leases = providers.Singleton(RedisExecutionLeases, redis, keys=keys)
    abandonment = providers.Singleton(RedisAbandonmentCounters, redis, keys=keys)
    # The dialing rules' storage: records waiting for their calling window or a retry, and
    # the do-not-call lists an execution names, read when its records are dialed.
    waiting = providers.Singleton(RedisWaitingRecords, redis, keys=keys, options=options)
    dnc = providers.Singleton(RedisDoNotCallLists, redis)
    zones = providers.Singleton(PhonenumbersContactZones)
    # What the live page reads of every execution (ADR 0029).
    board_reads = providers.Singleton(RedisExecutionBoard, redis, keys=keys)
    limiter = providers.Singleton(RedisLaunchLimiter, redis, keys=keys)
    control = providers.Singleton(
        RedisControlStream,
        redis,
        settings.provided.instance.instance_id,
        keys=keys,
        options=options,
    )

    # Every launch of the process is decided by one schedule, at the account rate and guard.
    launch_schedule = providers.Singleton(lambda b: b.schedule(), settings.provided.budget)
    launcher = providers.Singleton(
        CountingLauncher, providers.Singleton(StudioCallLauncher, twilio), metrics
    )
    provisioner = providers.Singleton(EventStreamsProvisioner, twilio)

    ports = providers.Singleton(
        RunnerPorts,
        cache=cache,
        calls=calls,
        stats=stats,
        launcher=launcher,
        states=states,
        events=events,
        clock=clock,
        limiter=limiter,
        abandonment=abandonment,
        waiting=waiting,
        dnc=dnc,
        zones=zones,
    )
    supervisor = providers.Singleton(
        QueueSupervisor,
        ports,
        control,
        executions,
        assembly,
        settings.provided.runner,
        settings.provided.budget,
        tokens,
        leases=leases,
        on_restart=metrics.provided.count_restart,
        schedule=launch_schedule,
    )
    # What the gauges of `/metrics` show of Redis, read every few seconds.
    readings = providers.Singleton(
        MetricReadings, metrics, redis_cache, stats, states, control, clock
    )
