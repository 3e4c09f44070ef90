"""Fault: the policy network outputs NaN. Here a network overflows float32 in a hidden
layer on a velocity command far outside its training range, and the next layer turns inf
into NaN; with a zero command the same network outputs a zero action (standing).

Safe state: the policy node publishes neither the action nor targets from it and reports
a fault on /safety/faults; the controller, told, is in DAMPING before it computes its next
command: pure joint damping. Measured in sim time: every command computed from a joint
state stamped more than one controller period after the fault report went out (as the
robot saw it) is pure damping. The NaN never reaches the controller as a target.

Log lines, once each while the fault persists: policy: "policy produced a non-finite
action; requesting DAMPING"; controller: "ACTIVE -> DAMPING: external fault: fault from
/policy: policy produced a non-finite action".
"""

from __future__ import annotations

import pytest

from tests.faults.graph import (
    SCRIPTED_PERIOD_NS,
    start_scripted_graph,
    transition_lines,
    transitions,
)
from tests.faults.policies import overflows_to_nan

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("nan_action")
    policy = overflows_to_nan(log_dir / "overflow.onnx")
    graph, robot = start_scripted_graph(log_dir, policy_file=policy)
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.command(1e6)
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


def test_policy_logs_the_fault_once_while_it_persists(fault):
    graph, robot = fault
    (line,) = graph["policy"].log_lines("non-finite action")
    assert "requesting DAMPING" in line
    assert len(robot.rec.faults) > 5  # re-sent every observation, logged once


def test_controller_logs_one_transition_naming_the_policy(fault):
    graph, _ = fault
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "external fault: fault from /policy: policy produced a non-finite action" in line
    assert graph["controller"].log_lines("non-finite target") == []  # never sent as a target
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
    ]
