"""Fault: a non-finite observation: the IMU reports a NaN angular velocity (a broken gyro).

Safe state: the observation node does not publish it (the policy never sees it) and
reports a fault on /safety/faults at its next tick; the controller, told, is in DAMPING
before it computes its next command. Joint states are fresh, so that command is pure
joint damping. Measured in sim time: every command computed from a joint state stamped
more than one controller period after the fault report went out (as the robot saw it)
is pure damping.

Log lines, once each while the fault persists (it is re-sent every tick):
observation: "non-finite observation in terms ['base_ang_vel']; requesting DAMPING";
controller: "ACTIVE -> DAMPING: external fault: fault from /observation: non-finite
observation in terms ['base_ang_vel']".
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.faults.graph import (
    SCRIPTED_PERIOD_NS,
    start_scripted_graph,
    transition_lines,
    transitions,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp("nan_observation"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.angular_velocity = np.array([np.nan, 0.0, 0.0])
        robot.wait_mode("DAMPING")
        robot.wait_sim(0.2)
    finally:
        graph.close()
    return graph, robot


def test_commands_are_pure_damping_within_one_controller_period_of_the_report(fault):
    _, robot = fault
    after = robot.commands_after(robot.first_fault_seen() + SCRIPTED_PERIOD_NS)
    assert len(after) > 10
    assert all(robot.is_damping(c) for c in after)
    verdicts = robot.damping_verdicts_since("ACTIVE")
    switch = verdicts.index(True)
    assert switch > 0 and not any(verdicts[:switch]) and all(verdicts[switch:])  # PD, then not


def test_observation_node_names_the_term_once_while_the_fault_persists(fault):
    graph, robot = fault
    (line,) = graph["observation"].log_lines("non-finite observation")
    assert "['base_ang_vel']" in line and "requesting DAMPING" in line
    assert len(robot.rec.faults) > 5  # re-sent every tick, logged once


def test_policy_never_receives_the_nan(fault):
    graph, _ = fault
    assert graph["policy"].log_lines("non-finite") == []


def test_controller_logs_one_transition_naming_the_cause(fault):
    graph, _ = fault
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "external fault: fault from /observation: non-finite observation" in line
    assert "base_ang_vel" in line
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
    ]
