"""Fault: /joint_states stop (a dead sensor bus, a hung driver) while the clock runs on.

Safe state: DAMPING once the newest joint state is older than 3 state periods (30 ms at
the scripted robot's 100 Hz), detected by the controller's watchdog within one controller
period of that timeout. With no fresh velocity to damp, the command is zero torque, sent
at once although no new state arrived. A start request is refused while the states are
stale; when they come back the controller damps them and stays in DAMPING until asked
to start, then stands up through STANDUP.

Log line (controller, once): "ACTIVE -> DAMPING: /joint_states stale: 40.0 ms > 30.0 ms".
"""

from __future__ import annotations

import numpy as np
import pytest

from legkit_ros import topics
from tests.faults.graph import (
    SCRIPTED_PERIOD_NS,
    STATE_TIMEOUT_PERIODS,
    stale_age_ms,
    start_scripted_graph,
    transition_lines,
    transitions,
)

pytestmark = pytest.mark.integration

PERIOD_MS = SCRIPTED_PERIOD_NS * 1e-6
TIMEOUT_MS = STATE_TIMEOUT_PERIODS * PERIOD_MS


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp("stale_joint_states"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.publish_states = False  # the clock and the IMU run on
        last_state = robot.last_state_stamp()
        robot.wait_mode("DAMPING")
        robot.wait_sim(0.1)
        refused = robot.call(topics.SRV_START)
        robot.publish_states = True
        resumed = robot.now_ns
        robot.wait_sim(0.3)
        before_start = (robot.mode, len(robot.commands()))
        started = robot.call(topics.SRV_START)
        robot.wait_mode("ACTIVE")
    finally:
        graph.close()
    return graph, robot, last_state, refused, resumed, before_start, started


def test_controller_detects_stale_states_within_one_period_of_the_timeout(fault):
    graph = fault[0]
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "ACTIVE -> DAMPING: /joint_states stale" in line
    assert TIMEOUT_MS < stale_age_ms(line) <= TIMEOUT_MS + PERIOD_MS + 1e-6


def test_safe_command_goes_out_without_a_new_state_and_is_zero_torque(fault):
    _, robot, last_state, *_ = fault
    from_last_state = [c for c in robot.commands() if c.stamp_ns == last_state]
    # One command computed from the last state in ACTIVE, then DAMPING's, from the watchdog.
    assert len(from_last_state) == 2
    assert not np.allclose(from_last_state[0].effort, 0.0)
    assert np.all(from_last_state[1].effort == 0.0)


def test_start_is_refused_while_the_states_are_stale(fault):
    graph, _, _, refused, *_ = fault
    assert not refused.success
    (line,) = graph["controller"].log_lines("start refused")
    assert "/joint_states stale" in line


def test_resumed_states_are_damped_and_do_not_restart_the_robot(fault):
    _, robot, _, _, resumed, (mode, n_before_start), _ = fault
    assert mode == "DAMPING"
    commands = robot.commands()[:n_before_start]
    damped = [robot.is_damping(c) for c in commands if c.stamp_ns > resumed]
    assert len(damped) > 10 and all(damped)


def test_explicit_start_returns_to_active_through_standup(fault):
    _, robot, *_, started = fault
    assert started.success
    assert robot.modes() == ["IDLE", "STANDUP", "ACTIVE", "DAMPING", "STANDUP", "ACTIVE"]


def test_one_log_line_per_transition_and_no_other(fault):
    graph = fault[0]
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
        "DAMPING -> STANDUP",
        "STANDUP -> ACTIVE",
    ]
