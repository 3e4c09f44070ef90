"""Fault: the sim clock jumps backwards (the simulator is reset or restarted under a
running stack): /clock and the joint-state stamps go back by 1 s.

Every input age the controller measured lies in the future of the new clock, so its
watchdogs would read old inputs as fresh for as long as the jump. Defined safe state:
DAMPING, decided before any command is computed on the new time line (from whichever
comes first, the first state stamped earlier than its predecessor or the /clock jump);
the input times are forgotten, so commands are pure damping of fresh states (zero torque
while none has arrived). The controller keeps running on the new time line, and an
explicit /controller/start stands the robot up again there, through STANDUP.

Log line (controller, once): "ACTIVE -> DAMPING: clock jumped back by 1.000 s (seen on
/joint_states stamps)" (or "seen on /clock").
"""

from __future__ import annotations

import numpy as np
import pytest

from legkit.control import Mode, SafetySupervisor, SupervisorConfig
from legkit_ros import topics
from tests.faults.graph import PROFILE, start_scripted_graph, transition_lines, transitions

pytestmark = pytest.mark.integration

JUMP_S = 1.0  # from >= 1.7 s: stand-up (1.5 s) and 0.2 s ACTIVE


@pytest.fixture(scope="module")
def fault(tmp_path_factory):
    graph, robot = start_scripted_graph(tmp_path_factory.mktemp("clock_jump"))
    try:
        robot.wait_mode("ACTIVE", timeout=60.0)
        robot.wait_sim(0.2)
        robot.jump_back(JUMP_S)
        robot.wait_mode("DAMPING")
        robot.wait_sim(0.3)
        n_before_start = len(robot.commands())
        started = robot.call(topics.SRV_START)
        robot.wait_mode("ACTIVE")
    finally:
        graph.close()
    return graph, robot, n_before_start, started


def _new_time_line(robot, n_before_start):
    """Commands sent after the first one stamped earlier than its predecessor, before start."""
    commands = robot.commands()[:n_before_start]
    back = next(
        i for i in range(1, len(commands)) if commands[i].stamp_ns < commands[i - 1].stamp_ns
    )
    return commands[back:]


def test_no_command_on_the_new_time_line_holds_a_pd_target(fault):
    _, robot, n_before_start, _ = fault
    new = _new_time_line(robot, n_before_start)
    assert len(new) > 10
    for command in new:
        assert robot.is_damping(command) or np.all(command.effort == 0.0)
    assert robot.is_damping(new[-1])  # fresh states are damped, not left limp


def test_one_log_line_says_how_far_the_clock_jumped(fault):
    graph, *_ = fault
    (line,) = transition_lines(graph["controller"], "DAMPING")
    assert "ACTIVE -> DAMPING: clock jumped back by 1.000 s (seen on " in line


def test_explicit_start_stands_up_again_on_the_new_time_line(fault):
    graph, robot, _, started = fault
    assert started.success
    assert robot.modes() == ["IDLE", "STANDUP", "ACTIVE", "DAMPING", "STANDUP", "ACTIVE"]
    assert transitions(graph["controller"]) == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
        "DAMPING -> STANDUP",
        "STANDUP -> ACTIVE",
    ]


def test_supervisor_forgets_old_input_times_so_only_a_new_state_allows_a_start():
    log: list[str] = []
    config = SupervisorConfig.for_profile(PROFILE, state_period=0.01, target_period=0.02)
    sup = SafetySupervisor(PROFILE, config, log=log.append)
    q, qd = PROFILE.default_positions, np.full(PROFILE.num_joints, 0.5)
    sup.on_joint_state(5.0, q, qd)
    sup.on_target(5.0, q)
    sup.clock_jumped_back(4.0, 1.0, "/clock")
    assert sup.mode is Mode.DAMPING
    assert log[-1] == "STANDUP -> DAMPING: clock jumped back by 1.000 s (seen on /clock)"
    assert np.all(sup.compute_torques(4.0, 0.01) == 0.0)  # no velocity on the new time line
    assert not sup.request_start(4.0)
    assert log[-1] == "start refused: no joint state received yet"
    sup.on_joint_state(4.01, q, qd)
    assert sup.compute_torques(4.01, 0.01) == pytest.approx(-PROFILE.damping_kd * qd)
    assert sup.request_start(4.01)
