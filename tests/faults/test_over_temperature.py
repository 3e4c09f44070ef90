"""Fault: a motor reports a temperature at or above `max_temperature_c` (80 C).

Safe state: the hardware bridge latches FAULT on that reply; every motor damps for
`exit_damping`, then leaves motor mode; the controller is in DAMPING and its next command
holds no PD target. One log line names the joint, the temperature and the limit.
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
    return run_drill(tmp_path_factory.mktemp("over_temperature"), "temperature:95")


def test_one_fault_line_names_the_joint_temperature_and_limit(drill):
    (line,) = fault_lines(drill.bridge_log)
    assert f"FAULT {FAULTED_JOINT} (can3 id 3): temperature 95 C >= limit 80 C" in line


def test_controller_stops_commanding_pd_targets_within_one_period(drill):
    assert_controller_sends_no_pd_target_one_period_after(drill)


def test_every_motor_ends_out_of_motor_mode(drill):
    assert_every_motor_left_motor_mode(drill)
