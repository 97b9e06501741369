"""Part 7, the call centre end to end: the packaged `queue-service serve` in predictive mode
against the emulator's call centre, beside the dialing simulation (`bench.callcentre`, the same
`Pacer` on a fake clock) of the same configuration.

Time runs at its own pace (the emulator's `time_scale` 1), since the 2-second rule, the
callers' patience and the pacer's clock are real seconds; what is compressed is the call
centre's work: talk and wrap-up are a third of the dialing part's (mean 60 s and 10 s), so
that a run of 15 minutes holds as many calls per agent as 45 minutes of the simulation's. The
emulator plays the configuration the simulation models: the same answer and machine shares,
ring times, machines dropped `amd_s` after the answer, lognormal talk, fixed wrap-up,
exponential patience, stats every 2 s; beyond the model, its AMD takes 0.2 to 0.5 s to call a
person a person, and its agents 0.2 to 0.5 s to accept. Occupancy is talk time over staffed
time in both, counted from the `start`.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from bench.callcentre import Centre, simulate
from bench.campaign import start
from bench.dialing import figures, settings
from bench.stack import Stack, running_stack
from queue_adapters.redis import RedisClient, RedisQueueStateStore
from queue_core.domain.pacer import Pacer
from queue_core.domain.state import QueueState

__all__ = ["CENTRE", "SEEDS", "emulator_settings", "run", "served_figures"]

CENTRE = Centre(20, 0.40, hours=0.25, talk_mean_s=60.0, wrap_s=10.0)
SEEDS = tuple(range(1, 11))
QUICK_HOURS = 2 / 60
EXECUTION = "e2e-1"
FLOW = "FW" + "e2" * 16
QUEUE = "WQ" + "e2" * 16
FROM = "+15005550006"
CPS = 20
AMD_DETECT_S = (0.2, 0.5)  # the emulator's AMD verdict on a person, after the answer
ACCEPT_S = (0.2, 0.5)  # an agent's accept, after the reservation
CONTACTS_PER_AGENT_MINUTE = 10  # more than the pacer can dial: the cache never runs out


def emulator_settings(centre: Centre, redis_url: str) -> dict[str, Any]:
    """The emulator's settings that play `centre`, its stats written to `redis_url`."""
    answered = centre.answer_rate
    return {
        "account_cps": CPS,
        "time_scale": 1.0,
        "outcome_weights": {
            "human": answered * (1 - centre.machine_share),
            "machine": answered * centre.machine_share,
            "no-answer": 1 - answered,
        },
        "dial_delay_s": 0.0,
        "ring_s": list(centre.ring_s),
        "no_answer_ring_s": centre.no_answer_s,
        "talk_machine_s": [centre.amd_s, centre.amd_s],
        "amd_detect_s": list(AMD_DETECT_S),
        "callcentre": {
            "enabled": True,
            "agents": centre.agents,
            "accept_s": list(ACCEPT_S),
            "talk_mean_s": centre.talk_mean_s,
            "talk_log_sd": centre.talk_sigma,
            "wrapup_s": [centre.wrap_s, centre.wrap_s],
            "patience_mean_s": centre.patience_mean_s,
            "task_queue_sid": QUEUE,
            "stats_redis_url": redis_url,
            "stats_every_s": centre.stats_every_s,
        },
    }


async def _write_campaign(redis: RedisClient, contacts: int) -> None:
    """A predictive execution at the pacer's defaults, as the dialing part runs it."""
    pacing = settings("predictive")
    document = {
        "campaign_execution_id": EXECUTION,
        "studio_flow_sid": FLOW,
        "from_number": FROM,
        "task_queue_sid": QUEUE,
        "pacing": {"mode": "predictive", "max_concurrent_calls": pacing.max_concurrent_calls},
    }
    await redis.set(f"campaign_execution:{EXECUTION}", json.dumps(document))
    records = [
        json.dumps({"record_id": f"r-{i}", "phone_number": f"+1415{3000000 + i:07d}"})
        for i in range(contacts)
    ]
    for first in range(0, len(records), 1000):
        await redis.rpush(f"campaign_cache:{{{EXECUTION}}}", *records[first : first + 1000])


def served_figures(stats: dict[str, Any], people: int, abandoned: int) -> dict[str, Any]:
    """The run's figures from the emulator's stats and the service's counts."""
    centre = stats["callcentre"]
    handed = [e for e in stats["executions"] if e.get("handed_to_agent")]
    late = [e for e in handed if e["answer_to_agent_s"] is None or e["answer_to_agent_s"] > 2]
    staffed_h = centre["staffed_s"] / 3600
    return {
        "occupancy": centre["occupancy"],
        "staffed_s": centre["staffed_s"],
        "talk_s": centre["talk_s"],
        "dials": stats["executions_created"],
        "people": people,
        "abandoned": abandoned / people if people else 0.0,
        "emulator_people": len(handed),
        "emulator_abandoned": len(late) / len(handed) if handed else 0.0,
        "callers_gave_up": centre["calls_abandoned"],
        "dials_per_agent_hour": stats["executions_created"] / staffed_h if staffed_h else 0.0,
        "contacts_per_agent_hour": centre["tasks_accepted"] / staffed_h if staffed_h else 0.0,
        "answered_429": stats["answered_429"],
    }


async def _serve(stack: Stack, centre: Centre) -> dict[str, Any]:
    """Run the campaign for `centre.hours`; the figures at that instant."""
    await stack.admin.configure(**emulator_settings(centre, stack.redis_url))
    env = {"QUEUE_ACCOUNT_CPS": str(CPS), "QUEUE_EXPECT_TASK_EVENTS": "true"}
    proc, _ = await stack.start_service(env)
    minutes = centre.hours * 60
    await _write_campaign(stack.redis, round(CONTACTS_PER_AGENT_MINUTE * centre.agents * minutes))
    await stack.admin.reset(sinks=False)  # the agents' time counts from the start
    await start(stack.redis, EXECUTION)
    end = time.monotonic() + centre.hours * 3600
    while (left := end - time.monotonic()) > 0:
        if not proc.alive():
            raise RuntimeError(f"the service exited during the run:\n{proc.tail()}")
        await asyncio.sleep(min(left, 1.0))
    stats = await stack.admin.stats()
    status = await RedisQueueStateStore(stack.redis).load(EXECUTION)
    if status is None or status.state is not QueueState.RUNNING:
        raise RuntimeError(f"the execution is not running at the end: {status}")
    return served_figures(stats, status.human_answered, status.abandoned)


def simulated(centre: Centre, seeds: tuple[int, ...]) -> dict[str, Any]:
    """The dialing simulation of `centre`, predictive at its defaults, one run per seed."""
    return figures([simulate(centre, Pacer(settings("predictive")), seed) for seed in seeds])


async def run(logs: Path, *, quick: bool = False) -> dict[str, Any]:
    centre = replace(CENTRE, hours=QUICK_HOURS) if quick else CENTRE
    seeds = SEEDS[:3] if quick else SEEDS
    started = time.monotonic()
    async with running_stack(logs / "callcentre-e2e") as stack:
        served = await _serve(stack, centre)
    return {
        "centre": asdict(centre),
        "emulator": emulator_settings(centre, "redis://..."),
        "served": served,
        "served_wall_s": time.monotonic() - started,
        "seeds": list(seeds),
        "simulated": simulated(centre, seeds),
    }
