"""Fault: the operator hits the e-stop (a Bool true on /estop, as a radio e-stop's bridge
sends it; the /controller/estop service does the same, see test_controller_safety.py).

Safe state: ESTOP, zero torque on every joint: from the first joint state the controller
handles after the e-stop arrives, every command is exactly zero, and it stays so. The
e-stop travels over reliable DDS from another process: it arrives within a few controller
periods even on a loaded two-core machine (at half real time, 10 ms of sim time is 20 ms
of wall time). Latched:
/controller/start is refused until /controller/reset, which leads to IDLE (zero torque,
no stand-up of its own); only a start request then stands the robot up, through STANDUP.

Log line (controller, once): "ACTIVE -> ESTOP: e-stop: e-stop requested on /estop".
"""

from __future__ import annotations

import numpy as np
import pytest

from legkit_ros import topics
from tests.faults.graph import (
    SCRIPTED_PERIOD_NS,
    start_scripted_graph,
    transition_lines,
    transitions,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp("estop"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.send_estop()
        sent = robot.now_ns  # at or after the e-stop went out
        robot.wait_mode("ESTOP")
        robot.wait_sim(0.2)
        refused = robot.call(topics.SRV_START)
        robot.wait_sim(0.2)
        reset_at = robot.now_ns
        reset = robot.call(topics.SRV_RESET)
        robot.wait_mode("IDLE")
        robot.wait_sim(0.3)
        idle = robot.mode
        started = robot.call(topics.SRV_START)
        robot.wait_mode("ACTIVE")
    finally:
        graph.close()
    return graph, robot, sent, refused, reset_at, reset, idle, started


ESTOP_DELIVERY_PERIODS = 5
"""Bound on the e-stop's trip to the controller [scripted robot periods]."""


def test_zero_torque_within_a_few_periods_and_latched(fault):
    _, robot, sent, _, reset_at, *_ = fault
    after = [c for c in robot.commands_after(sent) if c.stamp_ns < reset_at]
    zero = [bool(np.all(c.effort == 0.0)) for c in after]
    assert True in zero, "no zero-torque command before the reset"
    first = zero.index(True)
    late_ms = (after[first].stamp_ns - sent) * 1e-6
    assert late_ms <= ESTOP_DELIVERY_PERIODS * SCRIPTED_PERIOD_NS * 1e-6, (
        f"first zero command from a state {late_ms:.0f} ms after the e-stop was sent"
    )
    latched = after[first:]
    assert len(latched) > 20
    assert all(zero[first:]), "a command with torque after the e-stop took effect"


def test_start_is_refused_while_latched(fault):
    graph, _, _, refused, *_ = fault
    assert not refused.success
    (line,) = graph["controller"].log_lines("start refused")
    assert "in ESTOP (reset the e-stop first)" in line


def test_reset_leads_to_idle_and_only_a_start_request_stands_up(fault):
    _, robot, _, _, _, reset, idle, started = fault
    assert reset.success and idle == "IDLE"
    assert started.success
    assert robot.modes() == ["IDLE", "STANDUP", "ACTIVE", "ESTOP", "IDLE", "STANDUP", "ACTIVE"]


def test_one_log_line_per_transition(fault):
    graph = fault[0]
    (line,) = transition_lines(graph["controller"], "ESTOP")
    assert "ACTIVE -> ESTOP: e-stop: e-stop requested on /estop" in line
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> ESTOP",
        "ESTOP -> IDLE",
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
    ]
