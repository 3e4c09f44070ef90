"""Fault: a motor's firmware reports an error code in its replies.

Safe state: the hardware bridge latches FAULT on the first reply carrying it; every motor
damps for `exit_damping`, then leaves motor mode; the controller is in DAMPING and its next
command holds no PD target. One log line names the joint and the code with its meaning.
"""

from __future__ import annotations

import pytest

from tests.faults.hardware_drill import (
    FAULTED_JOINT,
    assert_controller_sends_no_pd_target_one_period_after,
    assert_every_motor_left_motor_mode,
    ensure_ros,
    fault_lines,
    run_drill,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def drill(tmp_path_factory):
    ensure_ros()
    return run_drill(tmp_path_factory.mktemp("fault_code"), "error_code:3")


def test_one_fault_line_names_the_joint_and_the_code(drill):
    (line,) = fault_lines(drill.bridge_log)
    assert f"FAULT {FAULTED_JOINT} (can3 id 3): motor error code 3" in line


def test_controller_stops_commanding_pd_targets_within_one_period(drill):
    assert_controller_sends_no_pd_target_one_period_after(drill)


def test_every_motor_ends_out_of_motor_mode(drill):
    assert_every_motor_left_motor_mode(drill)
