"""Rehearsal without ROS: the safety supervisor's PD stands the pybullet quadruped up through
the real driver path (HardwareInterface, MIT frames on virtual CAN, emulated motors whose
shafts are the robot's joints), in lockstep, so the verdict does not depend on machine load."""

from __future__ import annotations

import numpy as np
import pytest

from legkit.control import Mode as ControlMode
from legkit.control import SafetySupervisor, SupervisorConfig
from legkit.hardware import HardwareInterface, Mode
from legkit.hardware.emulator import emulate
from legkit.hardware.rehearsal import RehearsalPlant
from legkit.rotations import tilt
from legkit.sim import PybulletWorld, SimConfig
from tests.unit.hardware_rig import CONFIG, FAST, PROFILE, Rig


class RehearsalRig(Rig):
    """A Rig whose motors turn the joints of a pybullet quadruped lying on the ground."""

    def __init__(self) -> None:
        self.world = PybulletWorld(PROFILE, SimConfig(initial_pose="lying"))
        self.rehearsal = RehearsalPlant(self.world, CONFIG)
        self.tag = f"rehearsal-{id(self)}"
        self.emulators = emulate(CONFIG, self.open_bus, self.rehearsal)
        self.log = []
        self.settings = FAST
        self.hw = HardwareInterface(PROFILE, CONFIG, FAST, self.open_bus, log=self.log.append)
        self.t = 0.0

    def close(self) -> None:
        super().close()
        self.world.close()


@pytest.fixture
def rehearsal():
    r = RehearsalRig()
    yield r
    r.close()


def test_supervisor_stands_the_robot_up_through_the_can_path(rehearsal):
    dt = rehearsal.world.dt
    supervisor = SafetySupervisor(
        PROFILE, SupervisorConfig.for_profile(PROFILE, state_period=dt, target_period=0.02)
    )
    rehearsal.hw.configure()
    rehearsal.hw.activate(0.0)
    t = 0.0
    for _ in range(round(3.0 / dt)):  # soft start, 1.5 s stand-up, then holding the pose
        reading = rehearsal.hw.cycle(t)
        supervisor.on_joint_state(t, reading.positions, reading.velocities)
        rehearsal.hw.set_effort(t, supervisor.compute_torques(t, dt))
        assert rehearsal.rehearsal.step(max_wait=1.0), "a motor did not get its frame"
        t += dt
    state = rehearsal.world.state()
    assert rehearsal.hw.mode is Mode.RUNNING
    assert supervisor.mode is ControlMode.STANDUP  # holding the default pose (no policy here)
    assert abs(state.base_position[2] - PROFILE.nominal_base_height) < 0.03
    assert tilt(state.base_orientation) < 0.1, tilt(state.base_orientation)
    # kp = 30 N m/rad sags under the robot's weight (hind knees ~0.2 rad), no more.
    np.testing.assert_allclose(state.joint_positions, PROFILE.default_positions, atol=0.3)


def test_motors_out_of_motor_mode_let_the_robot_sink(rehearsal):
    rehearsal.hw.configure()  # inactive: motors read, never driven
    start = rehearsal.world.state().base_position[2]
    for _ in range(100):
        rehearsal.hw.cycle(0.0)
        rehearsal.rehearsal.step(max_wait=1.0)
    assert not rehearsal.rehearsal.in_motor_mode().any()
    assert rehearsal.world.state().base_position[2] < start
