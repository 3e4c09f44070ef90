"""Fault: joint targets stop while everything else runs: the policy process hangs
(SIGSTOP, as a stuck inference or a blocked call would), alive and in the graph, silent.

Safe state: the controller's watchdog puts it in DAMPING once the newest target is older
than 3 policy periods (60 ms), within one controller period (10 ms at the scripted
robot's 100 Hz) of that timeout. Joint states are still fresh, so the command is pure
joint damping (-damping_kd x measured velocity) from then on. When the policy wakes up
and targets flow again, the controller stays in DAMPING (test_recovery.py).

Log line (controller, once): "ACTIVE -> DAMPING: joint targets stale: 70.0 ms > 60.0 ms".
"""

from __future__ import annotations

import pytest

from tests.faults.graph import (
    DAMPING_TORQUE,
    SCRIPTED_PERIOD_NS,
    TARGET_PERIOD_NS,
    TARGET_TIMEOUT_PERIODS,
    stale_age_ms,
    start_scripted_graph,
    transition_lines,
    transitions,
)

pytestmark = pytest.mark.integration

PERIOD_MS = SCRIPTED_PERIOD_NS * 1e-6
TIMEOUT_MS = TARGET_TIMEOUT_PERIODS * TARGET_PERIOD_NS * 1e-6


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp("stale_targets"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        graph.pause("policy")
        robot.wait_mode("DAMPING")
        robot.wait_sim(0.2)
        graph.resume("policy")
        robot.wait_sim(0.2)
    finally:
        graph.close()
    return graph, robot


def test_controller_detects_stale_targets_within_one_period_of_the_timeout(fault):
    graph, _ = fault
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "ACTIVE -> DAMPING: joint targets stale" in line
    assert TIMEOUT_MS < stale_age_ms(line) <= TIMEOUT_MS + PERIOD_MS + 1e-6


def test_commands_switch_once_from_pd_to_pure_damping(fault):
    _, robot = fault
    verdicts = robot.damping_verdicts_since("ACTIVE")
    switch = verdicts.index(True)
    assert switch > 0 and not any(verdicts[:switch])  # PD while ACTIVE
    assert all(verdicts[switch:])  # damping from then on, also once targets flow again
    assert len(verdicts[switch:]) > 20
    assert robot.commands()[-1].effort.tolist() == pytest.approx([DAMPING_TORQUE] * 12)


def test_one_log_line_and_no_other_transition(fault):
    graph, robot = fault
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
    ]
    assert robot.mode == "DAMPING"
