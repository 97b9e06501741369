"""The composition root: one dependency-injector container wiring settings, adapters and the
core services. Tests override providers (`container.launcher.override(...)`)."""

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
    RedisEventPublisher,
    RedisExecutionLeases,
    RedisKeys,
    RedisLaunchLimiter,
    RedisOptions,
    RedisPacingStatsSource,
    RedisQueueStateStore,
    connect,
)
from queue_adapters.system_clock import SystemClock
from queue_adapters.twilio import (
    EventStreamsProvisioner,
    StudioCallLauncher,
    TwilioRest,
    open_twilio_rest,
)
from queue_app.instrumented import CountingCache, CountingLauncher
from queue_app.settings import Settings
from queue_app.shared_reads import SharedPacingStats, StateSweep
from queue_core.domain.budget import SendWindow
from queue_core.domain.tokens import CallstatusTokens
from queue_core.services.runner import RunnerPorts, RunnerSettings
from queue_core.services.send_window import WindowedLauncher
from queue_core.services.supervisor import BudgetSettings, QueueSupervisor

__all__ = ["Container", "redis_keys", "twilio_rest"]


async def _redis(settings: Settings) -> AsyncIterator[RedisClient]:
    # A blocking control read waits up to 1 s: the socket timeout must be longer.
    client = await connect(settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
    try:
        yield client
    finally:
        await client.aclose()


def twilio_rest(settings: Settings) -> TwilioRest:
    """The Twilio REST client the settings describe; build it inside the running loop."""
    return open_twilio_rest(
        account_sid=settings.twilio_account_sid,
        auth_token=settings.twilio_auth_token.get_secret_value() or None,
        api_key=settings.twilio_api_key or None,
        api_secret=settings.twilio_api_secret.get_secret_value() or None,
        base_url=settings.twilio_base_url,
        timeout_s=settings.twilio_timeout_s,
    )


async def _twilio(settings: Settings) -> AsyncIterator[TwilioRest]:
    rest = twilio_rest(settings)
    try:
        yield rest
    finally:
        await rest.close()


def redis_keys(settings: Settings) -> RedisKeys:
    """The key and stream names the settings choose."""
    return RedisKeys(
        queue_control_stream=settings.control_stream,
        queue_control_group=settings.control_group,
        queue_control_dead_letter=settings.control_dead_letter,
        campaign_execution_prefix=settings.campaign_execution_prefix,
        task_queue_stats=settings.task_queue_stats_key,
        campaign_cache_prefix=settings.campaign_cache_prefix,
        active_calls_prefix=settings.active_calls_prefix,
        call_dispositions=settings.dispositions_stream,
        queue_event_stream=settings.event_stream,
    )


def _options(settings: Settings) -> RedisOptions:
    return RedisOptions(
        control_min_idle_ms=int(settings.control_claim_idle_s * 1000),
        contact_timeout_s=settings.contact_timeout_s,
        stream_maxlen=settings.stream_maxlen,
        cross_slot_scripts=settings.redis_cross_slot_scripts,
    )


def _runner_settings(settings: Settings) -> RunnerSettings:
    return RunnerSettings(
        owner=settings.instance_id,
        callstatus_url=f"{settings.public_base_url}/callstatus",
        stats_max_age_s=settings.stats_max_age_s,
        poll_interval_s=settings.poll_interval_s,
        expect_voice_events=settings.expect_voice_events,
        expect_task_events=settings.expect_task_events,
        reconcile_after_s=settings.reconcile_after_s,
        # Half the guard for a late wake-up (at least), half for the way from here to Twilio.
        slot_lateness_s=settings.launch_guard_ms / 2000,
    )


def _budget_settings(settings: Settings) -> BudgetSettings:
    return BudgetSettings(
        account_cps=settings.account_cps,
        cps_share=settings.cps_share,
        contact_timeout_s=settings.contact_timeout_s,
        settle_grace_s=settings.settle_grace_s,
        lease_ttl_s=settings.lease_ttl_s,
        studio_executions_per_s=settings.studio_executions_per_s,
    )


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    keys = providers.Singleton(redis_keys, settings)
    options = providers.Singleton(_options, settings)
    tokens = providers.Singleton(
        CallstatusTokens, providers.Callable(lambda s: s.callstatus_key(), settings)
    )

    redis = providers.Resource(_redis, settings)
    twilio = providers.Resource(_twilio, settings)

    metrics = providers.Singleton(QueueMetrics)

    redis_cache = providers.Singleton(RedisContactCache, redis, keys=keys, options=options)
    cache = providers.Singleton(CountingCache, redis_cache, metrics)
    calls = providers.Singleton(RedisActiveCallRegistry, redis, keys=keys, options=options)
    assembly = providers.Singleton(RedisAssemblyStore, redis, keys=keys, options=options)
    # The runners decide every poll interval: the stats of a task queue are read once in that
    # time for all of its executions (ADR 0010).
    stats = providers.Singleton(
        SharedPacingStats,
        providers.Singleton(RedisPacingStatsSource, redis, keys=keys),
        clock,
        providers.Callable(lambda s: s.poll_interval_s, settings),
    )
    states = providers.Singleton(RedisQueueStateStore, redis, keys=keys, options=options)
    # Reads the stored state of every runner of this instance in one request (ADR 0010).
    state_sweep = providers.Singleton(StateSweep, states, clock)
    events = providers.Singleton(RedisEventPublisher, redis, keys=keys, options=options)
    executions = providers.Singleton(RedisCampaignExecutionStore, redis, keys=keys)
    leases = providers.Singleton(RedisExecutionLeases, redis, keys=keys)
    abandonment = providers.Singleton(RedisAbandonmentCounters, redis, keys=keys)
    limiter = providers.Singleton(
        RedisLaunchLimiter,
        redis,
        keys=keys,
        guard_s=providers.Callable(lambda s: s.launch_guard_ms / 1000, settings),
    )
    control = providers.Singleton(
        RedisControlStream,
        redis,
        providers.Callable(lambda s: s.instance_id, settings),
        keys=keys,
        options=options,
    )

    # Every create of the process goes through one send window at the account rate.
    send_window = providers.Singleton(
        SendWindow,
        providers.Callable(lambda s: _budget_settings(s).account_rate, settings),
        providers.Callable(lambda s: s.launch_guard_ms / 1000, settings),
    )
    launcher = providers.Singleton(
        CountingLauncher,
        providers.Singleton(
            WindowedLauncher, providers.Singleton(StudioCallLauncher, twilio), clock, send_window
        ),
        metrics,
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
    )
    supervisor = providers.Singleton(
        QueueSupervisor,
        ports,
        control,
        executions,
        assembly,
        providers.Callable(_runner_settings, settings),
        providers.Callable(_budget_settings, settings),
        tokens,
        leases=leases,
        on_restart=metrics.provided.count_restart,
    )
