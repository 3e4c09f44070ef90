"""Fault: /joint_states name a joint the robot does not have (a driver started with the
wrong robot description): here the last joint arrives as "LF_WHEEL" while standing.

Safe state: no torque is ever computed from a state that cannot be mapped onto the
robot's joints, so such states count as missing: once the newest valid state is older
than 3 state periods (30 ms), within one controller period of that, the controller is in
DAMPING, with zero torque (no fresh velocity to damp). The observation node also refuses
the states.

Log lines, once each although every state is wrong: controller: "/joint_states rejected,
no torque from it: ... LF_WHEEL ..." and "ACTIVE -> DAMPING: /joint_states stale: 40.0 ms >
30.0 ms"; observation: "/joint_states rejected: ... LF_WHEEL ...".
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.faults.graph import (
    PROFILE,
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
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp("unknown_joint_names"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.names = [*PROFILE.joint_names[:-1], "LF_WHEEL"]
        robot.wait_mode("DAMPING")
        robot.wait_sim(0.3)
    finally:
        graph.close()
    return graph, robot


def test_no_command_is_computed_from_a_misnamed_state(fault):
    _, robot = fault
    assert robot.misnamed_from is not None
    assert robot.commands_after(robot.misnamed_from - 1) == []


def test_controller_damps_within_one_period_of_the_state_timeout(fault):
    graph, robot = fault
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "ACTIVE -> DAMPING: /joint_states stale" in line
    assert TIMEOUT_MS < stale_age_ms(line) <= TIMEOUT_MS + PERIOD_MS + 1e-6
    assert np.all(robot.commands()[-1].effort == 0.0)


def test_each_node_logs_the_rejection_once_naming_the_joint(fault):
    graph, robot = fault
    assert len(robot.state_stamps) - robot.state_stamps.index(robot.misnamed_from) > 20
    for node in ("controller", "observation"):
        (line,) = graph[node].log_lines("/joint_states rejected")
        assert "LF_WHEEL" in line


def test_no_other_transition(fault):
    graph, _ = fault
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
    ]
