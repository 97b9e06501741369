"""The dialing simulation: the real pacer against a simulated call centre on a fake clock."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

from bench.callcentre import Centre, simulate
from bench.dialing import TARGET, Plan, _Search, centre, figures, settings

from queue_core.domain.pacer import Pacer

TEN = "10 agents, 20% answer"


def run(name: str, mode: str, hours: float = 1.0, seed: int = 1, ratio: float = 1.0) -> dict:
    return runs(name, mode, hours, (seed,), ratio)


def runs(name: str, mode: str, hours: float, seeds: tuple[int, ...], ratio: float = 1.0) -> dict:
    return figures([simulate(centre(name, hours), Pacer(settings(mode, ratio)), s) for s in seeds])


def test_an_hour_of_ten_agents_predictive_keeps_to_3_percent_and_agents_busier() -> None:
    # Four runs: one hour of ten agents holds few abandons, and one run's luck moves a lot.
    progressive = runs(TEN, "progressive", 1.0, (1, 2, 3, 4))
    predictive = runs(TEN, "predictive", 1.0, (1, 2, 3, 4))
    assert predictive["abandoned_worst_run"] <= TARGET
    assert predictive["occupancy"] > progressive["occupancy"] + 0.05
    assert predictive["people"] > progressive["people"]


def test_the_same_seed_draws_the_same_run_and_another_seed_another() -> None:
    assert run(TEN, "predictive") == run(TEN, "predictive")
    assert run(TEN, "predictive", seed=2) != run(TEN, "predictive")


def test_the_centre_keeps_its_books() -> None:
    tally = simulate(Centre(10, 0.4, hours=2.0), Pacer(settings("static", 2.0)), 3)
    assert tally.staffed_s == 10 * 2 * 3600
    assert 0 < tally.talk_s < tally.staffed_s
    assert sum(tally.human_by_hour) == tally.human
    assert sum(tally.abandoned_by_hour) == tally.abandoned
    assert tally.abandoned > 0
    assert tally.connected <= tally.human <= tally.dials
    # Every person waited for an agent or gave up, except the few still waiting at the end.
    assert tally.human - 10 <= len(tally.waits) <= tally.human
    # People taken at once waited 0 s; abandoned ones waited more than the 2 s rule or left.
    assert sorted(tally.waits)[len(tally.waits) // 2] == 0.0


def test_a_third_of_the_agents_log_off_halfway_when_next_free() -> None:
    name = "30 agents at 40% answer, a third logging off halfway"
    tally = simulate(centre(name, 2.0), Pacer(settings("predictive")), 1)
    # 20 agents all along, 10 for the first hour and then until their call and wrap-up end.
    assert 30 * 3600 + 20 * 3600 <= tally.staffed_s < 30 * 3600 + 20 * 3600 + 10 * 1800


def test_an_answer_rate_falling_halfway_brings_fewer_people() -> None:
    name = "30 agents, 40% answer falling to 15% halfway"
    tally = simulate(centre(name, 2.0), Pacer(settings("progressive")), 1)
    first, second = tally.human_by_hour
    assert second < 0.7 * first  # progressive at 1.0 dials for the idle agents, not more


def test_the_best_static_ratio_keeps_every_run_to_the_target() -> None:
    plan = Plan(hours=1.0, seeds=(1, 2), fine=False)
    with ProcessPoolExecutor(max_workers=1) as pool:
        search = _Search(pool, TEN, plan)
        best = search.best()
    assert best is not None
    kept = {r: occupancy for r, (occupancy, worst) in search.grid.items() if worst <= TARGET}
    assert best == max(kept, key=lambda r: kept[r])
    assert any(worst > TARGET for _, worst in search.grid.values())  # it looked past the edge
