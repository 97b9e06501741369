"""The dialing rules in the runner, on the fakes in virtual time: calling windows by the
contact's local time, do-not-call lists and retries (ADR 0027)."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from queue_core.domain.disposition import Disposition, DispositionStatus
from queue_core.domain.queue_events import QueueEventType
from queue_core.domain.state import QueueState
from tests.unit.core.harness import Queue, execution_document, make_queue, records

ID = "ce-77"
# Wednesday 18 November 2026, 06:00 in New York (EST, UTC-5): 22:00 in Los Angeles ends the
# next day at 06:00 UTC.
SIX_AM_EASTERN = datetime(2026, 11, 18, 11, 0, tzinfo=UTC).timestamp()
TEN_PM_PACIFIC = datetime(2026, 11, 19, 6, 0, tzinfo=UTC).timestamp()
WINDOW = {"start": "08:00", "end": "21:00", "days": ["mon", "tue", "wed", "thu", "fri", "sat"]}
AREAS = {212: "America/New_York", 312: "America/Chicago", 303: "America/Denver",
         415: "America/Los_Angeles"}  # fmt: skip


def slow_ticks(queue: Queue) -> Queue:
    """Fewer wake-ups a virtual second, for the tests that span hours: commands are read
    within 1 s and calls end within 2 s of their time."""
    queue.control_block_ms = 1000
    queue.twilio.tick_s = 2.0
    return queue


def start(queue: Queue, **rules: object) -> None:
    document = execution_document(ID, mode="fixed", max_concurrent_calls=20)
    document.update(rules)
    queue.backend.documents[ID] = document
    queue.control.add({"action": "start", "campaign_execution_id": ID, "request_id": "q1"})


def command(queue: Queue, action: str) -> None:
    queue.control.add({"action": action, "campaign_execution_id": ID, "request_id": action})


def four_zones(per_zone: int) -> list[dict[str, object]]:
    batch: list[dict[str, object]] = []
    for area in AREAS:
        batch += records(per_zone, prefix=f"z{area}", area=area)
    return batch


def local_hour(at: float, phone: str) -> float:
    zone = ZoneInfo(AREAS[int(phone[2:5])])
    wall = datetime.fromtimestamp(at, zone)
    return wall.hour + wall.minute / 60 + wall.second / 3600


def dialed_at(queue: Queue) -> list[tuple[str, float]]:
    """(number, wall-clock time) of every Studio execution created, in order."""
    start = queue.clock.now() - queue.clock.monotonic()
    return [(e.request.to, start + e.created_monotonic) for e in queue.launcher.executions]


def finals(queue: Queue) -> dict[str, Disposition]:
    done = {d.record_id: d for d in queue.backend.dispositions if d.final}
    assert len(done) == sum(d.final for d in queue.backend.dispositions)
    return done


async def test_a_campaign_across_four_us_zones_dials_each_record_inside_its_window() -> None:
    queue = slow_ticks(make_queue(account_cps=5, start_at=SIX_AM_EASTERN))
    queue.twilio.weights = (1.0, 0.0, 0.0, 0.0, 0.0)
    queue.backend.push_records(ID, four_zones(5))
    ended: list[float] = []

    async def scenario() -> None:
        start(queue, calling_window=WINDOW)
        await queue.clock.sleep(1)
        assert await queue.supervisor.wait_idle() == {ID: QueueState.COMPLETED}
        ended.append(queue.clock.now())

    await queue.drive(scenario, limit_s=TEN_PM_PACIFIC - SIX_AM_EASTERN)

    dials = dialed_at(queue)
    assert len(dials) == 20
    assert len({to for to, _ in dials}) == 20
    for to, at in dials:
        assert 8 <= local_hour(at, to) < 21, (to, datetime.fromtimestamp(at, UTC))
    # Each zone's records wait for its own 8 am: New York's first, Los Angeles' three hours on.
    first = {area: min(at for to, at in dials if to.startswith(f"+1{area}")) for area in AREAS}
    assert [round(local_hour(first[area], f"+1{area}")) for area in AREAS] == [8, 8, 8, 8]
    assert first[212] < first[312] < first[303] < first[415]
    assert set(finals(queue)) == {f"z{a}-{i}" for a in AREAS for i in range(5)}
    assert ended[0] < TEN_PM_PACIFIC
    progress = [e for e in queue.backend.events if e.event is QueueEventType.PROGRESS]
    assert progress
    assert progress[0].waiting_for_window == 20
    assert progress[0].cache_remaining == 0


async def test_retries_of_busy_and_no_answer_reach_max_attempts_with_their_numbers() -> None:
    queue = slow_ticks(make_queue(account_cps=5))
    queue.twilio.weights = (0.0, 0.5, 0.5, 0.0, 0.0)  # busy or no answer, every time
    queue.twilio.talk_s = (1.0, 5.0)
    queue.backend.push_records(ID, records(6))
    retry = {"max_attempts": 3, "after_s": {"busy": 600, "no-answer": 900}}

    async def scenario() -> None:
        start(queue, retry=retry)
        await queue.clock.sleep(1)
        assert await queue.supervisor.wait_idle() == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=4 * 3600)

    by_record: dict[str, list[Disposition]] = defaultdict(list)
    for disposition in queue.backend.dispositions:
        by_record[disposition.record_id].append(disposition)
    assert set(by_record) == {f"r-{i}" for i in range(6)}
    launches = dialed_at(queue)
    for record_id, attempts in by_record.items():
        assert [d.attempt for d in attempts] == [1, 2, 3]
        assert [d.final for d in attempts] == [False, False, True]
        for before, after in itertools.pairwise(attempts):
            delay = {"busy": 600, "no-answer": 900}[before.status.value]
            assert before.retry_at == before.ended_at + delay
            assert after.launched_at >= before.retry_at
        assert attempts[-1].retry_at is None
        number = attempts[0].to
        assert sum(to == number for to, _ in launches) == 3, record_id


async def test_stop_gives_each_waiting_record_one_final_disposition() -> None:
    # 06:00 in New York: Los Angeles' records wait for their window; those of New York that
    # were dialed and busy wait for their retry.
    queue = make_queue(account_cps=5, start_at=SIX_AM_EASTERN + 2.5 * 3600)
    queue.twilio.weights = (0.0, 1.0, 0.0, 0.0, 0.0)
    queue.twilio.talk_s = (1.0, 2.0)
    queue.backend.push_records(ID, records(4, prefix="ny", area=212) + records(3, area=415))
    retry = {"max_attempts": 5, "after_s": {"busy": 3600}}
    counts: list[tuple[int | None, int | None]] = []

    async def scenario() -> None:
        start(queue, calling_window=WINDOW, retry=retry)
        await queue.clock.sleep(60)
        command(queue, "stop")
        await queue.clock.sleep(1)
        await queue.supervisor.wait_idle()
        assert queue.backend.states[ID].state is QueueState.STOPPED
        counts.extend(
            (e.waiting_for_window, e.waiting_for_retry)
            for e in queue.backend.events
            if e.event is QueueEventType.PROGRESS
        )

    await queue.drive(scenario, limit_s=600)

    done = finals(queue)
    assert set(done) == {f"ny-{i}" for i in range(4)} | {f"r-{i}" for i in range(3)}
    for i in range(4):
        assert (done[f"ny-{i}"].status, done[f"ny-{i}"].attempt) == (DispositionStatus.BUSY, 1)
    for i in range(3):
        assert done[f"r-{i}"].status is DispositionStatus.OUTSIDE_WINDOW
        assert done[f"r-{i}"].attempt == 1
    assert len(queue.launcher.executions) == 4  # Los Angeles' were never dialed
    assert (3, 4) in counts
    assert ID not in queue.backend.waiting or not queue.backend.waiting[ID]


async def test_numbers_on_a_do_not_call_list_are_never_dialed() -> None:
    queue = make_queue(account_cps=5)
    batch = records(10)
    queue.backend.push_records(ID, batch)
    queue.backend.dnc_lists["dnc:national"] = {"+14155550003"}
    queue.backend.dnc_lists["dnc:c-7"] = {"+14155550007", "+19995550000"}

    async def scenario() -> None:
        start(queue, dnc_sets=["dnc:national", "dnc:c-7", "dnc:missing"])
        await queue.clock.sleep(1)
        assert await queue.supervisor.wait_idle() == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=3600)

    dialed = {e.request.to for e in queue.launcher.executions}
    assert dialed == {f"+1415555{i:04d}" for i in range(10)} - {"+14155550003", "+14155550007"}
    done = finals(queue)
    assert {r for r, d in done.items() if d.status is DispositionStatus.DNC} == {"r-3", "r-7"}
    assert len(done) == 10


async def test_a_do_not_call_key_of_another_type_fails_the_start() -> None:
    queue = make_queue(account_cps=5)
    queue.backend.push_records(ID, records(3))
    queue.backend.dnc_lists["dnc:national"] = "string"

    async def scenario() -> None:
        start(queue, dnc_sets=["dnc:national"])
        await queue.clock.sleep(5)

    await queue.drive(scenario, limit_s=60)

    assert not queue.launcher.executions
    failed = [e for e in queue.backend.events if e.event is QueueEventType.FAILED]
    assert len(failed) == 1
    assert failed[0].reason is not None
    assert "dnc:national" in failed[0].reason


async def test_a_number_with_no_known_zone_is_an_invalid_record_while_a_window_is_set() -> None:
    queue = make_queue(account_cps=5, start_at=SIX_AM_EASTERN + 3 * 3600)
    unknown = {"record_id": "x-1", "phone_number": "+99955501234"}
    own_zone = {"record_id": "x-2", "phone_number": "+99955501235", "timezone": "Asia/Tokyo"}
    bad_zone = {"record_id": "x-3", "phone_number": "+14155550100", "timezone": "Mars/Olympus"}
    queue.backend.push_records(ID, [unknown, own_zone, bad_zone, *records(1, area=212)])
    window = {**WINDOW, "start": "00:00", "end": "23:59", "days": ["wed", "thu"]}

    async def scenario() -> None:
        start(queue, calling_window=window)
        await queue.clock.sleep(1)
        assert await queue.supervisor.wait_idle() == {ID: QueueState.COMPLETED}

    await queue.drive(scenario, limit_s=3600)

    done = finals(queue)
    assert done["x-1"].status is DispositionStatus.INVALID_RECORD
    assert "time zone" in done["x-1"].error_message
    assert done["x-3"].status is DispositionStatus.INVALID_RECORD
    assert "timezone" in done["x-3"].error_message
    assert {e.request.to for e in queue.launcher.executions} == {"+99955501235", "+12125550000"}
    assert Counter(d.status for d in done.values())[DispositionStatus.INVALID_RECORD] == 2
