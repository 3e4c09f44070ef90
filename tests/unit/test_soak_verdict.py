"""The soak's command pattern and verdict (legkit.soak), on synthetic samples."""

from __future__ import annotations

import dataclasses
import json

import pytest

from legkit import soak
from legkit.soak import CRITERIA, LoopCount, Sample

PROCESSES = ("controller", "sim_bridge")
ACTIVE_RUN = [(0.0, "IDLE"), (0.5, "STANDUP"), (2.0, "ACTIVE")]
RUNNING = dict.fromkeys(PROCESSES)


def samples(
    rss: dict[str, list[float]],
    loops: dict[str, list[tuple[float, float]]] | None = None,
    period: float = 60.0,
) -> list[Sample]:
    """One sample per list entry, `period` apart; rss in kB, loops as (cycles, missed)."""
    n = len(next(iter(rss.values())))
    loops = loops or {"controller": [(15000.0 * i, 0.0) for i in range(n)]}
    return [
        Sample(
            t=i * period,
            sim_time=i * period,
            mode="ACTIVE",
            rss_kb={name: values[i] for name, values in rss.items()},
            loops={name: LoopCount(*counts[i]) for name, counts in loops.items()},
        )
        for i in range(n)
    ]


def flat_rss(n: int = 5, kb: float = 100_000.0) -> dict[str, list[float]]:
    return {name: [kb] * n for name in PROCESSES}


def judge(
    run: list[Sample],
    warmup_s: float = 60.0,
    unjudged_loops: dict[str, str] | None = None,
    **events,
) -> soak.Verdict:
    """The verdict of a run in which, unless `events` says otherwise, all went well."""
    events = soak.Events(
        exits=events.get("exits", RUNNING),
        transitions=events.get("transitions", ACTIVE_RUN),
        falls=events.get("falls", []),
        strangers=events.get("strangers", {}),
    )
    return soak.judge(run, warmup_s, events, unjudged_loops)


def failing(verdict: soak.Verdict) -> set[tuple[str, str]]:
    return {(c.criterion, c.subject) for c in verdict.failures()}


def test_a_steady_run_passes_every_criterion():
    verdict = judge(samples(flat_rss()))
    assert verdict.passed
    assert verdict.criteria() == dict.fromkeys(CRITERIA, True)


def test_memory_is_judged_from_the_first_sample_after_warm_up_to_the_last():
    # Start-up doubles the memory (not judged); then 4 % more, then 6 % more.
    before, after = 50_000.0, 100_000.0
    small = {"controller": [before, after, after, 104_000.0], "sim_bridge": [after] * 4}
    assert judge(samples(small)).passed
    large = {"controller": [before, after, after, 106_000.0], "sim_bridge": [after] * 4}
    verdict = judge(samples(large))
    assert failing(verdict) == {("rss_growth", "controller")}
    (check,) = verdict.failures()
    assert "97.7 -> 103.5 MB" in check.line and "+6.00%" in check.line


def test_growth_of_exactly_the_limit_passes():
    rss = {"controller": [100_000.0, 100_000.0, 105_000.0], "sim_bridge": [100_000.0] * 3}
    assert judge(samples(rss), warmup_s=0.0).criteria()["rss_growth"]


def test_memory_that_shrinks_passes():
    rss = {"controller": [100_000.0, 100_000.0, 90_000.0], "sim_bridge": [100_000.0] * 3}
    assert judge(samples(rss)).criteria()["rss_growth"]


def test_too_few_samples_after_warm_up_fail_the_memory_criterion():
    verdict = judge(samples(flat_rss(n=2)), warmup_s=60.0)
    assert ("rss_growth", "controller") in failing(verdict)
    assert "fewer than 2 RSS samples" in verdict.failures()[0].line


def test_missed_deadlines_count_only_after_warm_up():
    # 900 misses during start-up, then 10 in 20,000 cycles (0.05 %): a pass.
    loops = {"controller": [(0.0, 0.0), (10_000.0, 900.0), (20_000.0, 905.0), (30_000.0, 910.0)]}
    assert judge(samples(flat_rss(n=4), loops)).passed
    # 30 in 20,000 (0.15 %): a fail naming the loop.
    loops = {"controller": [(0.0, 0.0), (10_000.0, 900.0), (20_000.0, 915.0), (30_000.0, 930.0)]}
    verdict = judge(samples(flat_rss(n=4), loops))
    assert failing(verdict) == {("missed_deadlines", "controller")}
    assert "30 of 20000 cycles" in verdict.failures()[0].line


def test_a_loop_that_stopped_cycling_fails():
    loops = {"controller": [(0.0, 0.0), (5000.0, 0.0), (5000.0, 0.0), (5000.0, 0.0)]}
    verdict = judge(samples(flat_rss(n=4), loops))
    assert failing(verdict) == {("missed_deadlines", "controller")}
    assert "no cycles after warm-up" in verdict.failures()[0].line


def test_no_loop_figures_at_all_fail_the_deadline_criterion():
    run = samples(flat_rss())
    for s in run:
        s.loops = {}
    assert not judge(run).criteria()["missed_deadlines"]


def test_an_unjudged_loop_becomes_a_note_not_a_failure():
    loops = {
        "controller": [(0.0, 0.0), (10_000.0, 10_000.0), (20_000.0, 20_000.0)],
        "sim_bridge": [(0.0, 0.0), (10_000.0, 0.0), (20_000.0, 0.0)],
    }
    why = "sim clock at real-time factor 0.5"
    verdict = judge(samples(flat_rss(n=3), loops), unjudged_loops={"controller": why})
    assert verdict.passed
    assert [c.subject for c in verdict.checks if c.criterion == "missed_deadlines"] == [
        "sim_bridge"
    ]
    (note,) = verdict.notes
    assert note.startswith("controller: 10000 of 10000 cycles missed") and note.endswith(why)


def test_a_dead_process_fails_naming_its_exit_code():
    verdict = judge(samples(flat_rss()), exits={"controller": None, "sim_bridge": -11})
    assert ("processes_alive", "sim_bridge") in failing(verdict)
    assert "sim_bridge: exited with code -11" in [c.line for c in verdict.failures()]


def test_another_graph_on_the_domain_fails_naming_its_nodes():
    verdict = judge(samples(flat_rss()), strangers={"sim_bridge": 95.0, "controller": 90.0})
    assert failing(verdict) == {("domain_private", "domain")}
    assert "(controller, sim_bridge) shared the DDS domain from t=90 s" in (
        verdict.failures()[0].line
    )


@pytest.mark.parametrize(
    ("transitions", "falls", "expected"),
    [
        ([(0.0, "IDLE"), (0.5, "STANDUP")], [], "never reached ACTIVE (IDLE -> STANDUP)"),
        ([], [], "never reached ACTIVE (no mode seen)"),
        ([*ACTIVE_RUN, (40.0, "DAMPING")], [], "left ACTIVE for DAMPING at sim 40.0 s"),
        (ACTIVE_RUN, [33.3, 50.0], "fell 2 time(s), first at sim 33.3 s"),
    ],
)
def test_the_robot_must_reach_active_stay_there_and_stay_up(transitions, falls, expected):
    verdict = judge(samples(flat_rss()), transitions=transitions, falls=falls)
    assert failing(verdict) == {("robot_active", "robot")}
    assert expected in verdict.failures()[0].line


def test_the_verdict_and_figures_round_trip_through_json_and_markdown():
    run = samples(flat_rss())
    verdict = judge(run, exits={"controller": None, "sim_bridge": 1})
    report = {
        "settings": {
            "duration_min": 4.0,
            "sample_period_s": 60.0,
            "warmup_s": 60.0,
            "real_time_factor": 1.0,
            "policy": "/models/quadruped_walk.onnx",
        },
        "samples": [dataclasses.asdict(s) for s in run],
        "figures": soak.figures_dict(run, 60.0, {}),
        "verdict": verdict.to_dict(),
    }
    report = json.loads(json.dumps(report))
    assert [Sample.from_dict(d) for d in report["samples"]] == run
    assert report["verdict"]["criteria"]["processes_alive"] is False
    md = soak.markdown(report)
    assert "| controller | 97.7 | 97.7 | +0.00% |" in md
    assert "| controller | 45000 | 0 | 0.000% | yes |" in md
    assert "## Verdict: FAIL" in md and "- FAIL processes_alive: sim_bridge: exited" in md


def test_the_command_pattern_repeats_the_cycle_over_the_whole_duration():
    pattern = soak.command_pattern(150.0)
    n = len(soak.COMMAND_CYCLE)
    assert pattern["times"][: n + 1] == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    assert len(pattern["times"]) == 3 * n  # 150 s: three one-minute cycles
    assert pattern["times"] == sorted(pattern["times"])
    assert {len(v) for v in pattern.values()} == {3 * n}
    assert all(isinstance(x, float) for v in pattern.values() for x in v)  # a double array
    assert max(abs(v) for v in pattern["vx"]) <= 0.5  # moderate for the shipped policy


def test_short_runs_keep_their_second_half_for_judging():
    assert soak.clamp_schedule(3600.0, 120.0, 60.0) == (120.0, 60.0)
    assert soak.clamp_schedule(45.0, 120.0, 60.0) == (22.5, 11.25)


def test_the_sample_line_shows_misses_since_the_previous_sample():
    first, second = samples(flat_rss(n=2), {"controller": [(100.0, 1.0), (15100.0, 4.0)]})
    line = soak.sample_line(second, first)
    assert "controller 97.7" in line and "controller 3/15000" in line


def test_resident_memory_of_this_process_is_read_and_a_missing_one_is_none():
    import os

    assert soak.resident_kb(os.getpid()) > 1000.0
    assert soak.resident_kb(2**22 + 7) is None
