"""Twilio in trouble, seen by `queue-service serve`: a 429 storm, a burst of 5xx answers and
slow answers, each forced at the emulator for a few seconds while a campaign runs.

Launches back off and recover, and nothing is lost: after `stop`, every record has exactly one
disposition or is back in its cache (never both), no phone was dialed twice, and every
execution the emulator created has its one disposition. Each test reports its figures (see the
`figures` fixture); launch times are the emulator's creation times (monotonic, the same clock
on this machine as the test's).
"""

from __future__ import annotations

import math
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import redis

from tests.support.metrics_text import metric_total
from tests.support.redis_server import RedisServerProcess
from tests.system.campaign import Campaign, phone
from tests.system.processes import EmulatorProcess, ServiceProcess, wait_for

pytestmark = pytest.mark.slow

CONTACTS = 600
# Enough calls in flight that the launch budget, not the pacer, sets the launch rate.
PACING = {"mode": "fixed", "max_concurrent_calls": 300}
WARM_UP_LAUNCHES = 40
TROUBLE_S = 4.0
SLOW_ANSWER_S = 2.0
RECOVERED = 0.95  # of the launch budget
RECOVERY_TIMEOUT_S = 40.0
# An ambiguous launch that exhausted its attempts is reconciled this long after its reservation.
RECONCILE_AFTER_S = "10"


@pytest.fixture
def redis_server() -> Iterator[RedisServerProcess]:
    """A plain `redis-server` (no AOF): nothing here crashes Redis."""
    with RedisServerProcess() as server:
        yield server


def _configure(emulator: EmulatorProcess, **settings: Any) -> dict[str, Any]:
    answer = httpx.post(f"{emulator.url}/_emulator/config", json=settings, timeout=5.0)
    assert answer.status_code == 200, answer.text
    view: dict[str, Any] = answer.json()
    return view


def _launch_times(emulator: EmulatorProcess) -> list[float]:
    return sorted(e["created_monotonic"] for e in emulator.stats()["executions"])


def _budget(service: ServiceProcess, execution: str) -> float:
    return metric_total(
        service.admin_get("/metrics").text,
        "dialer_queue_launch_budget_per_second",
        execution=execution,
    )


def _recovered_at(times: list[float], since: float, budget: float) -> float | None:
    """Start of the first run of ceil(budget)+1 launches after `since` whose rate is at least
    `RECOVERED` x budget (about one second of launching at the budget), or None."""
    n = math.ceil(budget) + 1
    after = [t for t in times if t >= since]
    for i in range(n - 1, len(after)):
        span = after[i] - after[i - n + 1]
        if span > 0 and (n - 1) / span >= RECOVERED * budget:
            return after[i - n + 1]
    return None


def _launch_rate(service: ServiceProcess, execution: str) -> float:
    return metric_total(
        service.admin_get("/metrics").text,
        "dialer_queue_launch_rate_per_second",
        execution=execution,
    )


def _recovery(
    service: ServiceProcess, emulator: EmulatorProcess, execution: str, since: float
) -> dict[str, float | None]:
    """Wait until the launch controller's allowed rate is back at `RECOVERED` x budget (it must
    be, within `RECOVERY_TIMEOUT_S`), then until the emulator saw launches at that rate
    (reported, not required: on a loaded machine the achieved rate lags the allowed one).
    Times in seconds after `since`; None when not seen."""
    budget = _budget(service, execution)
    deadline = since + RECOVERY_TIMEOUT_S
    allowed_at = None
    while allowed_at is None:
        if _launch_rate(service, execution) >= RECOVERED * budget:
            allowed_at = time.monotonic()
        else:
            assert time.monotonic() < deadline, "the launch rate did not climb back"
            time.sleep(0.1)
    while (launched_at := _recovered_at(_launch_times(emulator), since, budget)) is None:
        if time.monotonic() > deadline:
            break
        time.sleep(0.25)
    return {
        "allowed_rate_back_to_95pct_of_budget_s": round(max(0.0, allowed_at - since), 2),
        "launches_back_to_95pct_of_budget_s": (
            None if launched_at is None else round(launched_at - since, 2)
        ),
    }


def _rate(times: list[float], start: float, end: float) -> float:
    return sum(start <= t < end for t in times) / (end - start)


def _per_second(times: list[float], origin: float, before_s: int, after_s: int) -> list[int]:
    """Launches in each second from `origin - before_s` to `origin + after_s`."""
    counts = Counter(math.floor(t - origin) for t in times)
    return [counts.get(s, 0) for s in range(-before_s, after_s)]


def _start(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    store: redis.Redis,
    emulator: EmulatorProcess,
    execution: str,
) -> tuple[ServiceProcess, Campaign, float]:
    """Serve, start a campaign and wait for its warm-up; return the service, the campaign and
    its launch budget (launches/s)."""
    # Twilio retries a webhook for hours: so does the emulator here, past any answer delay, so
    # that events which outran their launch's answer (503, deliver again) are not given up.
    _configure(emulator, delivery_retry_base_s=0.25, delivery_max_attempts=12)
    service = launch_service({**serve_env, "QUEUE_RECONCILE_AFTER_S": RECONCILE_AFTER_S})
    campaign = Campaign(store, execution, CONTACTS)
    campaign.write(PACING)
    campaign.start()
    wait_for(
        lambda: emulator.stats()["executions_created"] >= WARM_UP_LAUNCHES,
        f"{WARM_UP_LAUNCHES} launches",
    )
    budget = _budget(service, execution)
    assert budget > 0
    return service, campaign, budget


def _stop_and_check_nothing_lost(
    campaign: Campaign, emulator: EmulatorProcess, store: redis.Redis
) -> dict[str, int]:
    """Stop the campaign and check that every record has one fate; return the counts."""
    store.xadd(
        "queue_control_stream",
        {"action": "stop", "campaign_execution_id": campaign.execution_id, "request_id": "t-stop"},
    )
    try:
        campaign.wait_event("stopped", timeout_s=45.0)
    except AssertionError as exc:
        tag = f"{{{campaign.execution_id}}}"
        left = {
            name: store.hgetall(f"queue:{name}:{tag}")
            for name in ("state", "claims", "launching", "attempts")
        }
        raise AssertionError(f"{exc}; left: {left}; active: {campaign.active()}") from None

    disposed = campaign.disposed_once()
    cached = campaign.cached()
    assert len(cached) == len(set(cached)), "a record is in its cache twice"
    assert not disposed & set(cached), "a record has a disposition and is back in the cache"
    assert disposed | set(cached) == set(campaign.record_ids), "records lost"

    executions = emulator.stats()["executions"]
    dialed = Counter(e["to"] for e in executions)
    assert [to for to, n in dialed.items() if n > 1] == [], "phones dialed twice"
    dispositions = campaign.dispositions()
    by_sid = {e["sid"]: e["call_status"] for e in executions}
    assert {d["execution_sid"] for d in dispositions} == set(by_sid)
    assert all(by_sid[d["execution_sid"]] == d["status"] for d in dispositions)
    assert {d["record_id"]: d["to"] for d in dispositions} == {
        rid: phone(n) for n, rid in enumerate(campaign.record_ids) if rid in disposed
    }
    assert campaign.active() == 0
    assert emulator.stats()["counters"].get("batches_given_up", 0) == 0
    tag = f"{{{campaign.execution_id}}}"
    assert store.hlen(f"queue:claims:{tag}") == 0
    assert store.hlen(f"queue:launching:{tag}") == 0
    return {"dispositions": len(disposed), "back_in_cache": len(cached)}


def _webhooks_deferred(service: ServiceProcess) -> float:
    """Webhook requests answered 503 because an event outran its launch's answer."""
    text = service.admin_get("/metrics").text
    return metric_total(text, "dialer_queue_webhook_requests_total", outcome="retry_later")


def test_a_429_storm_backs_launches_off_and_they_recover_with_nothing_lost(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
    figures: dict[str, Any],
) -> None:
    execution = "ce-trouble-429"
    service, campaign, budget = _start(launch_service, serve_env, store, emulator, execution)

    armed = _configure(emulator, force_429_for_s=TROUBLE_S)
    storm_end = time.monotonic() + armed["faults"]["force_429_remaining_s"]
    storm_start = storm_end - TROUBLE_S
    time.sleep(max(0.0, storm_end - time.monotonic()))
    recovery = _recovery(service, emulator, execution, storm_end)

    stats = emulator.stats()
    times = sorted(e["created_monotonic"] for e in stats["executions"])
    counters = stats["counters"]
    rate_limited = metric_total(
        service.admin_get("/metrics").text,
        "dialer_queue_launches_total",
        execution=execution,
        outcome="rate_limited",
    )
    # Every 429 answer sent exactly one record back to its cache, and no other answer did.
    assert rate_limited == stats["answered_429"]
    # Backed off: far fewer tries than launching on through the storm at the budget would make.
    forced = counters.get("answered_429_forced", 0)
    assert 1 <= forced <= TROUBLE_S * budget / 4
    # Nothing was created during the storm (a margin for the two clocks' reading times).
    assert sum(storm_start + 0.05 <= t < storm_end - 0.05 for t in times) == 0

    fates = _stop_and_check_nothing_lost(campaign, emulator, store)
    figures.update(
        {
            "launch_budget_per_s": budget,
            "storm_s": TROUBLE_S,
            "answered_429_forced": forced,
            "answered_429_total": stats["answered_429"],
            "requeued_records_rate_limited_launches": rate_limited,
            **recovery,
            "launch_rate_before_storm_per_s": round(_rate(times, storm_start - 2, storm_start), 2),
            "webhooks_answered_503_deliver_again": _webhooks_deferred(service),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "launches_per_second_from_3s_before_storm": _per_second(times, storm_start, 3, 30),
            **fates,
        }
    )


def test_a_burst_of_5xx_answers_is_retried_without_a_second_call(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
    figures: dict[str, Any],
) -> None:
    execution = "ce-trouble-5xx"
    service, campaign, budget = _start(launch_service, serve_env, store, emulator, execution)

    _configure(emulator, error_5xx_probability=0.5)
    burst_start = time.monotonic()
    time.sleep(TROUBLE_S)
    _configure(emulator, error_5xx_probability=0.0)
    burst_end = time.monotonic()
    recovery = _recovery(service, emulator, execution, burst_end)

    stats = emulator.stats()
    times = sorted(e["created_monotonic"] for e in stats["executions"])
    metrics = service.admin_get("/metrics").text
    ambiguous = metric_total(
        metrics, "dialer_queue_launches_total", execution=execution, outcome="ambiguous"
    )
    rate_limited = metric_total(
        metrics, "dialer_queue_launches_total", execution=execution, outcome="rate_limited"
    )
    assert stats["answered_5xx"] >= 1
    # Each 5xx is one ambiguous outcome, reconciled with Studio's list and sent again.
    assert ambiguous == stats["answered_5xx"]

    fates = _stop_and_check_nothing_lost(campaign, emulator, store)
    figures.update(
        {
            "launch_budget_per_s": budget,
            "burst_s": TROUBLE_S,
            "error_5xx_probability": 0.5,
            "answered_5xx": stats["answered_5xx"],
            "ambiguous_launches": ambiguous,
            "answered_429_after_the_retries": stats["answered_429"],
            "rate_limited_launches": rate_limited,
            "executions_created_per_s_during_burst": round(_rate(times, burst_start, burst_end), 2),
            "answered_429_over_the_cps": stats["counters"].get("answered_429_cps", 0),
            **recovery,
            "webhooks_answered_503_deliver_again": _webhooks_deferred(service),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "launches_per_second_from_3s_before_burst": _per_second(times, burst_start, 3, 20),
            **fates,
        }
    )


def test_slow_answers_do_not_slow_launching(
    launch_service: Callable[..., ServiceProcess],
    serve_env: dict[str, str],
    emulator: EmulatorProcess,
    store: redis.Redis,
    figures: dict[str, Any],
) -> None:
    execution = "ce-trouble-slow"
    service, campaign, budget = _start(launch_service, serve_env, store, emulator, execution)

    _configure(emulator, response_delay_s=SLOW_ANSWER_S)
    slow_start = time.monotonic()
    time.sleep(TROUBLE_S + SLOW_ANSWER_S)
    _configure(emulator, response_delay_s=0.0)
    slow_end = time.monotonic()

    stats = emulator.stats()
    times = sorted(e["created_monotonic"] for e in stats["executions"])
    rate = _rate(times, slow_start, slow_end)
    # Launches go out concurrently: had each waited for the previous answer, the rate would be
    # 1 / SLOW_ANSWER_S. Four times that tells the two apart, even on a loaded machine.
    assert rate >= 4 / SLOW_ANSWER_S
    assert stats["answered_429"] == 0

    fates = _stop_and_check_nothing_lost(campaign, emulator, store)
    figures.update(
        {
            "launch_budget_per_s": budget,
            "response_delay_s": SLOW_ANSWER_S,
            "slow_window_s": round(slow_end - slow_start, 2),
            "launch_rate_during_slow_answers_per_s": round(rate, 2),
            "launch_rate_before_per_s": round(_rate(times, slow_start - 2, slow_start), 2),
            "launches_per_second_from_2s_before": _per_second(times, slow_start, 2, 10),
            "webhooks_answered_503_deliver_again": _webhooks_deferred(service),
            "load_average_1min": round(os.getloadavg()[0], 2),
            **fates,
        }
    )
