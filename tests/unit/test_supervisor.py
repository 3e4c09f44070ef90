"""SafetySupervisor: modes, watchdog, input checks and the torques each mode commands."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

import numpy as np
import pytest

from legkit.control import Mode, SafetySupervisor, SupervisorConfig
from legkit.robots import QUADRUPED

PROFILE = QUADRUPED
N = PROFILE.num_joints
STATE_PERIOD = 0.002  # s, 500 Hz joint states and control
TARGET_PERIOD = 0.02  # s, 50 Hz policy
CONFIG = SupervisorConfig.for_profile(
    PROFILE, state_period=STATE_PERIOD, target_period=TARGET_PERIOD
)
MANUAL = SupervisorConfig.for_profile(
    PROFILE, state_period=STATE_PERIOD, target_period=TARGET_PERIOD, auto_start=False
)
KP = PROFILE.kp
KD = PROFILE.kd
EFFORT = PROFILE.effort_limits
DEFAULT = PROFILE.default_positions
# A measured start pose that is neither the lying nor the default pose, so a test can
# tell that the ramp starts from what was measured.
START = 0.9 * np.array(PROFILE.lying_joint_positions)
ZEROS = np.zeros(N)


def joint(name: str) -> int:
    return PROFILE.joint_index(name)


class Rig:
    """A supervisor on a simulated clock, with its log captured in a list."""

    def __init__(self, config: SupervisorConfig = CONFIG) -> None:
        self.log: list[str] = []
        self.sup = SafetySupervisor(PROFILE, config, log=self.log.append)
        self.t = 0.0

    def state(self, q: np.ndarray = START, qd: np.ndarray = ZEROS) -> None:
        self.sup.on_joint_state(self.t, q, qd)

    def target(self, q: np.ndarray = DEFAULT) -> None:
        self.sup.on_target(self.t, q)

    def torques(self) -> np.ndarray:
        return self.sup.compute_torques(self.t, STATE_PERIOD)

    def run(
        self,
        seconds: float,
        target: np.ndarray | None = None,
        q: np.ndarray = START,
        qd: np.ndarray = ZEROS,
    ) -> np.ndarray:
        """Advance in control periods with fresh joint states (and targets at 50 Hz)."""
        tau = ZEROS
        for k in range(round(seconds / STATE_PERIOD)):
            self.t += STATE_PERIOD
            self.state(q, qd)
            if target is not None and k % round(TARGET_PERIOD / STATE_PERIOD) == 0:
                self.target(target)
            tau = self.torques()
        return tau

    def transitions(self) -> list[str]:
        """The "FROM -> TO" part of every transition line logged so far."""
        return [m.group(1) for line in self.log if (m := re.match(r"^(\w+ -> \w+): ", line))]


def rig_in(mode: Mode) -> Rig:
    """A rig whose supervisor has just reached `mode` by the ordinary route."""
    if mode is Mode.IDLE:
        rig = Rig(MANUAL)
        rig.state()
    elif mode is Mode.STANDUP:
        rig = Rig()
        rig.state()
    elif mode in (Mode.ACTIVE, Mode.DAMPING):
        rig = Rig()
        rig.state()
        rig.run(PROFILE.standup_duration + 0.1, target=DEFAULT)
        if mode is Mode.DAMPING:
            rig.sup.fault(rig.t, "test fault")
    else:
        rig = rig_in(Mode.ACTIVE)
        rig.sup.estop("test")
    assert rig.sup.mode is mode
    return rig


# ---------------------------------------------------------------------- configuration


def test_config_for_profile_uses_three_periods_and_the_profile_safe_state() -> None:
    assert CONFIG.state_timeout == pytest.approx(0.006)
    assert CONFIG.target_timeout == pytest.approx(0.06)
    assert CONFIG.standup_duration == PROFILE.standup_duration
    assert CONFIG.damping_kd == PROFILE.damping_kd
    assert CONFIG.auto_start and not MANUAL.auto_start


@pytest.mark.parametrize(
    "field", ["state_timeout", "target_timeout", "standup_duration", "damping_kd"]
)
def test_config_rejects_negative_or_nan_values(field: str) -> None:
    values = dict(state_timeout=0.006, target_timeout=0.06, standup_duration=1.5, damping_kd=1.0)
    for bad in (-1.0, float("nan")):
        with pytest.raises(ValueError, match=field):
            SupervisorConfig(**{**values, field: bad})


def test_inputs_of_the_wrong_length_are_rejected() -> None:
    sup = SafetySupervisor(PROFILE, CONFIG, log=lambda _: None)
    with pytest.raises(ValueError, match="expected 12"):
        sup.on_joint_state(0.0, np.zeros(11), np.zeros(12))
    with pytest.raises(ValueError, match="expected 12"):
        sup.on_target(0.0, np.zeros(13))


# ---------------------------------------------------------------------- start-up


def test_idle_without_any_joint_state_commands_zero_torque() -> None:
    rig = Rig()
    rig.t = 1.0
    np.testing.assert_array_equal(rig.torques(), ZEROS)
    assert rig.sup.mode is Mode.IDLE
    assert rig.log == []


def test_first_valid_joint_state_auto_starts_standup() -> None:
    rig = Rig()
    rig.state()
    assert rig.sup.mode is Mode.STANDUP
    assert rig.log == ["IDLE -> STANDUP: auto-start on first valid joint state"]


def test_without_auto_start_idle_holds_zero_torque_until_request_start() -> None:
    rig = Rig(MANUAL)
    tau = rig.run(0.5)
    assert rig.sup.mode is Mode.IDLE
    np.testing.assert_array_equal(tau, ZEROS)
    assert rig.sup.request_start(rig.t)
    assert rig.sup.mode is Mode.STANDUP
    assert rig.log == ["IDLE -> STANDUP: start requested"]


@pytest.mark.parametrize(
    ("state_age", "accepted", "log"),
    [
        (None, False, "start refused: no joint state received yet"),
        (0.0072, False, "start refused: /joint_states stale: 7.2 ms > 6.0 ms"),
        (0.005, True, "IDLE -> STANDUP: start requested"),
    ],
    ids=["no-state", "stale-state", "fresh-state"],
)
def test_request_start_needs_a_fresh_joint_state(
    state_age: float | None, accepted: bool, log: str
) -> None:
    rig = Rig(MANUAL)
    if state_age is not None:
        rig.state()
        rig.t += state_age
    assert rig.sup.request_start(rig.t) is accepted
    assert rig.sup.mode is (Mode.STANDUP if accepted else Mode.IDLE)
    assert rig.log == [log]


def test_request_start_is_refused_after_a_non_finite_joint_state() -> None:
    rig = rig_in(Mode.DAMPING)
    bad = START.copy()
    bad[joint("RF_HFE")] = np.nan
    rig.state(bad)
    assert not rig.sup.request_start(rig.t)
    assert rig.sup.mode is Mode.DAMPING
    assert rig.log[-1] == (
        "start refused: latest joint state unusable: non-finite joint state: RF_HFE position=nan"
    )


def test_request_start_while_running_is_refused() -> None:
    rig = rig_in(Mode.ACTIVE)
    assert not rig.sup.request_start(rig.t)
    assert rig.sup.mode is Mode.ACTIVE
    assert rig.log[-1] == "start refused: already in ACTIVE"


# ---------------------------------------------------------------------- stand-up


def standup_alpha(tau: np.ndarray) -> np.ndarray:
    """How far along the ramp the PD setpoint is (0 start, 1 default), per moving joint.

    With the robot held at START and at rest, tau = kp (setpoint - START).
    """
    moving = DEFAULT != START
    return tau[moving] / (KP * (DEFAULT - START))[moving]


@pytest.mark.parametrize(
    ("fraction", "alpha"),
    [(0.0, 0.0), (0.5, 0.5), (1.0, 1.0), (2.0, 1.0)],
)
def test_standup_pulls_toward_a_setpoint_ramped_from_measured_pose_to_default(
    fraction: float, alpha: float
) -> None:
    rig = Rig()
    rig.state()  # STANDUP from START at t = 0
    rig.t = fraction * PROFILE.standup_duration
    rig.state()
    np.testing.assert_allclose(standup_alpha(rig.torques()), alpha, atol=1e-12)
    assert rig.sup.mode is Mode.STANDUP


@pytest.mark.parametrize(("fraction", "low", "high"), [(0.25, 0.0, 0.5), (0.75, 0.5, 1.0)])
def test_standup_setpoint_moves_monotonically(fraction: float, low: float, high: float) -> None:
    rig = Rig()
    rig.state()
    rig.t = fraction * PROFILE.standup_duration
    rig.state()
    alpha = standup_alpha(rig.torques())
    assert np.all((low < alpha) & (alpha < high))
    np.testing.assert_allclose(alpha, alpha[0])  # all joints move together


def test_standup_holds_default_pose_after_the_ramp_until_a_target_arrives() -> None:
    rig = Rig()
    rig.state()
    q = DEFAULT + 0.05
    qd = np.full(N, 0.1)
    tau = rig.run(PROFILE.standup_duration + 1.0, q=q, qd=qd)
    assert rig.sup.mode is Mode.STANDUP
    np.testing.assert_allclose(tau, KP * (DEFAULT - q) - KD * qd)


RAMP_END = PROFILE.standup_duration


@pytest.mark.parametrize(
    ("target_at", "check_at", "mode"),
    [
        (RAMP_END - 0.012, RAMP_END - 0.010, Mode.STANDUP),  # fresh, but ramp not done
        (0.3, RAMP_END + 0.004, Mode.STANDUP),  # ramp done, target from mid-ramp is stale
        (RAMP_END - 0.050, RAMP_END + 0.004, Mode.ACTIVE),  # within the 60 ms target timeout
        (RAMP_END + 0.002, RAMP_END + 0.004, Mode.ACTIVE),  # arrived after the ramp
    ],
    ids=["ramp-running", "stale-target", "target-before-end", "target-after-end"],
)
def test_standup_enters_active_only_after_the_ramp_and_with_a_fresh_target(
    target_at: float, check_at: float, mode: Mode
) -> None:
    rig = Rig()
    rig.state()
    rig.t = target_at
    rig.target()
    rig.t = check_at
    rig.state()
    rig.torques()
    assert rig.sup.mode is mode


def test_active_commands_pd_toward_the_latest_target() -> None:
    rig = rig_in(Mode.ACTIVE)
    q = DEFAULT.copy()
    qd = np.linspace(-0.5, 0.5, N)
    rig.target(DEFAULT + 0.3)
    rig.target(DEFAULT + 0.1)
    rig.state(q, qd)
    np.testing.assert_allclose(rig.torques(), KP * 0.1 - KD * qd)


# ---------------------------------------------------------------------- watchdog


@pytest.mark.parametrize("mode", [Mode.STANDUP, Mode.ACTIVE])
def test_stale_joint_state_enters_damping_within_one_period(mode: Mode) -> None:
    rig = rig_in(mode)
    last = rig.t
    rig.state()
    rig.target()

    rig.t = last + CONFIG.state_timeout - 1e-6
    rig.torques()
    assert rig.sup.mode is mode

    rig.t = last + CONFIG.state_timeout + STATE_PERIOD
    np.testing.assert_array_equal(rig.torques(), ZEROS)  # damping of a robot at rest
    assert rig.sup.mode is Mode.DAMPING
    assert rig.log[-1] == f"{mode.value} -> DAMPING: /joint_states stale: 8.0 ms > 6.0 ms"


def test_stale_target_in_active_enters_damping_within_one_policy_period() -> None:
    rig = rig_in(Mode.ACTIVE)
    rig.target()
    last = rig.t

    rig.run(CONFIG.target_timeout - 0.002)  # fresh joint states, no targets
    assert rig.sup.mode is Mode.ACTIVE

    rig.run(TARGET_PERIOD)
    assert rig.sup.mode is Mode.DAMPING
    assert re.fullmatch(
        r"ACTIVE -> DAMPING: joint targets stale: 6\d\.\d ms > 60\.0 ms", rig.log[-1]
    )
    assert rig.t - last <= CONFIG.target_timeout + TARGET_PERIOD


# ---------------------------------------------------------------------- faults


def _bad_state(field: str, name: str, value: float) -> Callable[[Rig], None]:
    def inject(rig: Rig) -> None:
        q, qd = START.copy(), ZEROS.copy()
        (q if field == "position" else qd)[joint(name)] = value
        rig.state(q, qd)

    return inject


def _bad_target(name: str, value: float) -> Callable[[Rig], None]:
    def inject(rig: Rig) -> None:
        target = DEFAULT.copy()
        target[joint(name)] = value
        rig.target(target)

    return inject


FAULTS = {
    "nan-velocity": (
        _bad_state("velocity", "LF_KFE", np.nan),
        "non-finite joint state: LF_KFE velocity=nan",
    ),
    "inf-position": (
        _bad_state("position", "RH_HAA", np.inf),
        "non-finite joint state: RH_HAA position=inf",
    ),
    "nan-target": (_bad_target("LF_HFE", np.nan), "non-finite target: LF_HFE=nan"),
    "minus-inf-target": (_bad_target("LH_KFE", -np.inf), "non-finite target: LH_KFE=-inf"),
    "external": (
        lambda rig: rig.sup.fault(rig.t, "policy: NaN in observation"),
        "external fault: policy: NaN in observation",
    ),
}


@pytest.mark.parametrize("mode", [Mode.IDLE, Mode.STANDUP, Mode.ACTIVE])
@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_fault_enters_damping_naming_the_joint_and_value(
    fault: tuple[Callable[[Rig], None], str], mode: Mode
) -> None:
    inject, reason = fault
    rig = rig_in(mode)
    inject(rig)
    assert rig.sup.mode is Mode.DAMPING
    assert rig.log[-1] == f"{mode.value} -> DAMPING: {reason}"
    assert rig.sup.last_transition_reason == reason


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_repeated_faults_in_damping_log_nothing_more(
    fault: tuple[Callable[[Rig], None], str],
) -> None:
    rig = rig_in(Mode.DAMPING)
    logged = len(rig.log)
    inject, _ = fault
    for _ in range(3):
        inject(rig)
        rig.t += 1.0  # stale joint state and targets as well
        rig.torques()
    assert rig.sup.mode is Mode.DAMPING
    assert len(rig.log) == logged


@pytest.mark.parametrize(
    ("velocity", "torque"),
    [
        (0.0, 0.0),
        (2.0, -2.0 * PROFILE.damping_kd),
        (-3.5, 3.5 * PROFILE.damping_kd),
        (1e6, -EFFORT[0]),  # clamped to the effort limit
        (np.nan, 0.0),  # no trustworthy velocity, no damping torque
        (np.inf, 0.0),
    ],
)
def test_damping_torque_is_minus_kd_times_velocity(velocity: float, torque: float) -> None:
    rig = rig_in(Mode.DAMPING)
    qd = np.full(N, 0.5)
    qd[0] = velocity
    rig.state(START, qd)
    tau = rig.torques()
    assert tau[0] == pytest.approx(torque)
    np.testing.assert_allclose(tau[1:], -PROFILE.damping_kd * 0.5)


def test_damping_with_a_silent_sensor_commands_zero_torque() -> None:
    # A damping torque from the last velocity would be held on while the sensor is silent.
    rig = rig_in(Mode.DAMPING)
    rig.state(START, np.full(N, 2.0))
    assert np.all(rig.torques() != 0.0)
    rig.t += CONFIG.state_timeout + STATE_PERIOD
    np.testing.assert_array_equal(rig.torques(), ZEROS)


def test_damping_is_left_only_by_request_start() -> None:
    rig = rig_in(Mode.DAMPING)
    logged = len(rig.log)
    rig.run(3.0, target=DEFAULT)  # fresh, valid inputs for seconds
    assert rig.sup.mode is Mode.DAMPING
    assert len(rig.log) == logged

    assert rig.sup.request_start(rig.t)
    rig.run(PROFILE.standup_duration + 0.1, target=DEFAULT)
    assert rig.transitions()[-2:] == ["DAMPING -> STANDUP", "STANDUP -> ACTIVE"]


def test_an_operator_sit_request_damps_the_robot_until_the_next_start() -> None:
    rig = rig_in(Mode.ACTIVE)
    rig.sup.request_damping(rig.t, "sit requested on /controller/damp")
    assert rig.sup.mode is Mode.DAMPING
    assert rig.log[-1] == "ACTIVE -> DAMPING: sit requested on /controller/damp"
    rig.run(1.0, target=DEFAULT)
    assert rig.sup.mode is Mode.DAMPING
    assert rig.sup.request_start(rig.t)


def test_a_sit_request_does_not_release_an_estop() -> None:
    rig = rig_in(Mode.ESTOP)
    rig.sup.request_damping(rig.t, "sit")
    assert rig.sup.mode is Mode.ESTOP


def test_a_non_finite_target_also_discards_the_last_good_target() -> None:
    # With a long target timeout the good target sent before the NaN would still be
    # "fresh" after the restart; the policy must send a valid one first.
    rig = Rig(dataclasses.replace(CONFIG, target_timeout=10.0, standup_duration=0.1))
    rig.state()
    rig.run(0.2, target=DEFAULT)
    assert rig.sup.mode is Mode.ACTIVE
    FAULTS["nan-target"][0](rig)
    assert rig.sup.request_start(rig.t)
    rig.run(0.2)
    assert rig.sup.mode is Mode.STANDUP
    rig.target()
    rig.run(0.01)
    assert rig.sup.mode is Mode.ACTIVE


# ---------------------------------------------------------------------- target limits


def test_out_of_range_target_is_clamped_and_the_torque_tracks_the_clamped_target() -> None:
    rig = rig_in(Mode.ACTIVE)
    hfe, kfe = joint("LF_HFE"), joint("LF_KFE")
    target, q = DEFAULT.copy(), DEFAULT.copy()
    target[hfe], q[hfe] = 3.4, 2.8  # upper limit 3.0
    target[kfe], q[kfe] = -3.0, -2.6  # lower limit -2.7
    rig.target(target)
    rig.state(q)
    tau = rig.torques()
    assert tau[hfe] == pytest.approx(KP[hfe] * (3.0 - 2.8))
    assert tau[kfe] == pytest.approx(KP[kfe] * (-2.7 - -2.6))
    assert rig.log[-2:] == [
        "target LF_HFE=3.40 rad outside [-1.00, 3.00], clamped",
        "target LF_KFE=-3.00 rad outside [-2.70, -0.90], clamped",
    ]
    assert rig.sup.mode is Mode.ACTIVE


def test_out_of_range_target_is_logged_once_per_joint_until_back_in_range() -> None:
    rig = rig_in(Mode.ACTIVE)
    logged = len(rig.log)
    hfe, haa = joint("RF_HFE"), joint("RH_HAA")
    high_hfe = DEFAULT.copy()
    high_hfe[hfe] = 3.5
    both = high_hfe.copy()
    both[haa] = -1.0

    for targets, new_lines in [
        ([high_hfe] * 10, ["target RF_HFE=3.50 rad outside [-1.00, 3.00], clamped"]),
        ([both] * 10, ["target RH_HAA=-1.00 rad outside [-0.80, 0.80], clamped"]),
        ([DEFAULT] * 3, []),
        ([high_hfe], ["target RF_HFE=3.50 rad outside [-1.00, 3.00], clamped"]),
    ]:
        for target in targets:
            rig.target(target)
        assert rig.log[logged:] == new_lines
        logged = len(rig.log)


# ---------------------------------------------------------------------- e-stop


@pytest.mark.parametrize("mode", [Mode.IDLE, Mode.STANDUP, Mode.ACTIVE, Mode.DAMPING])
def test_estop_from_any_mode_gives_zero_torque_and_latches(mode: Mode) -> None:
    rig = rig_in(mode)
    rig.sup.estop("operator button")
    assert rig.sup.mode is Mode.ESTOP
    assert rig.log[-1] == f"{mode.value} -> ESTOP: e-stop: operator button"
    logged = len(rig.log)

    np.testing.assert_array_equal(rig.run(1.0, target=DEFAULT, qd=np.full(N, 3.0)), ZEROS)
    rig.sup.estop("pressed again")
    FAULTS["nan-target"][0](rig)
    FAULTS["external"][0](rig)
    assert rig.sup.mode is Mode.ESTOP
    assert len(rig.log) == logged

    assert not rig.sup.request_start(rig.t)
    assert rig.log[-1] == "start refused: in ESTOP (reset the e-stop first)"
    assert rig.sup.mode is Mode.ESTOP
    np.testing.assert_array_equal(rig.torques(), ZEROS)


@pytest.mark.parametrize(
    ("target_during_estop", "mode_after_ramp"),
    [(True, Mode.STANDUP), (False, Mode.ACTIVE)],
    ids=["sent-in-estop-is-ignored", "sent-after-reset-counts"],
)
def test_targets_sent_during_estop_are_ignored(
    target_during_estop: bool, mode_after_ramp: Mode
) -> None:
    # A long target timeout would let a target sent during the e-stop count as fresh.
    config = SupervisorConfig(
        state_timeout=0.006, target_timeout=10.0, standup_duration=0.1, damping_kd=1.0
    )
    rig = Rig(config)
    rig.state()
    rig.sup.estop("test")
    out_of_range = DEFAULT.copy()
    out_of_range[0] = 5.0
    if target_during_estop:
        rig.target(out_of_range)
    assert rig.sup.reset_estop()
    if not target_during_estop:
        rig.target(out_of_range)
    assert rig.sup.request_start(rig.t)
    rig.run(0.2)
    assert rig.sup.mode is mode_after_ramp
    assert any("clamped" in line for line in rig.log) is not target_during_estop


def test_estop_reset_returns_to_idle_and_needs_an_explicit_start() -> None:
    rig = rig_in(Mode.ACTIVE)
    rig.sup.estop("test")
    assert rig.sup.reset_estop()
    assert rig.sup.mode is Mode.IDLE
    assert rig.log[-1] == "ESTOP -> IDLE: e-stop reset"

    tau = rig.run(1.0, target=DEFAULT)  # auto_start was for power-on only
    assert rig.sup.mode is Mode.IDLE
    np.testing.assert_array_equal(tau, ZEROS)

    assert rig.sup.request_start(rig.t)
    assert rig.sup.mode is Mode.STANDUP


@pytest.mark.parametrize("mode", [Mode.IDLE, Mode.STANDUP, Mode.ACTIVE, Mode.DAMPING])
def test_estop_reset_outside_estop_is_refused(mode: Mode) -> None:
    rig = rig_in(mode)
    assert not rig.sup.reset_estop()
    assert rig.sup.mode is mode
    assert rig.log[-1] == f"e-stop reset ignored: not in ESTOP (mode {mode.value})"


# ---------------------------------------------------------------------- logging and bounds


def test_every_transition_logs_exactly_one_line() -> None:
    rig = Rig()
    rig.state()
    rig.run(PROFILE.standup_duration + 0.1, target=DEFAULT)
    for _ in range(100):  # joint states stop arriving; the watchdog fires once
        rig.t += STATE_PERIOD
        rig.torques()
    rig.sup.request_start(rig.t)  # refused: stale state
    rig.run(0.01)
    rig.sup.request_start(rig.t)
    rig.run(PROFILE.standup_duration + 0.1, target=DEFAULT)
    rig.sup.estop("test")
    rig.sup.reset_estop()
    rig.sup.request_start(rig.t)

    assert rig.transitions() == [
        "IDLE -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> DAMPING",
        "DAMPING -> STANDUP",
        "STANDUP -> ACTIVE",
        "ACTIVE -> ESTOP",
        "ESTOP -> IDLE",
        "IDLE -> STANDUP",
    ]
    refusals = [line for line in rig.log if line.startswith("start refused")]
    assert len(rig.log) == len(rig.transitions()) + len(refusals) == 9
    assert rig.log[-1] == "IDLE -> STANDUP: start requested"


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_torques_are_always_finite_and_within_effort_limits_under_fuzz() -> None:
    rng = np.random.default_rng(7)
    # A short ramp, so the fuzz also spends time in ACTIVE.
    rig = Rig(dataclasses.replace(CONFIG, standup_duration=0.2))

    def wild(size: int) -> np.ndarray:
        scale = rng.choice([0.1, 1.0, 10.0, 1e6, 1e300])
        values = rng.normal(size=size) * scale
        if rng.random() < 0.05:
            values[rng.integers(size)] = rng.choice([np.nan, np.inf, -np.inf])
        return values

    seen = set()
    for _ in range(20_000):
        rig.t += rng.choice([STATE_PERIOD, STATE_PERIOD / 2, 0.01, 0.1], p=[0.9, 0.05, 0.04, 0.01])
        if rng.random() < 0.97:
            calm = rng.random() < 0.995
            rig.state(DEFAULT + 0.1 * rng.normal(size=N) if calm else wild(N), rng.normal(size=N))
        if rng.random() < 0.2:
            calm = rng.random() < 0.99
            rig.target(DEFAULT + 0.3 * rng.normal(size=N) if calm else wild(N))
        event = rng.random()
        if event < 0.0005:
            rig.sup.fault(rig.t, "fuzz")
        elif event < 0.001:
            rig.sup.estop("fuzz")
        elif event < 0.01:
            rig.sup.reset_estop()
        elif event < 0.03:
            rig.sup.request_start(rig.t)
        tau = rig.torques()
        seen.add(rig.sup.mode)
        assert tau.shape == (N,)
        assert np.isfinite(tau).all()
        assert np.all(np.abs(tau) <= EFFORT)
    assert seen == set(Mode)


# ---------------------------------------------------------------------- PD in the motor


@pytest.mark.parametrize("mode", list(Mode))
def test_joint_command_for_motor_side_pd_gives_the_host_pd_torque_in_every_mode(
    mode: Mode,
) -> None:
    rig = rig_in(mode)
    q = DEFAULT + np.linspace(-0.2, 0.2, N)
    qd = np.linspace(-1.0, 1.0, N)
    rig.state(q, qd)
    host = rig.torques()
    command = rig.sup.compute_joint_command(rig.t)
    np.testing.assert_allclose(command.torques(PROFILE, q, qd), host, atol=1e-9)


def test_joint_command_in_damping_is_velocity_only_and_nothing_once_the_state_is_stale() -> None:
    rig = rig_in(Mode.DAMPING)
    command = rig.sup.compute_joint_command(rig.t)
    assert command.position is None and command.velocity is not None
    rig.t += 10 * STATE_PERIOD  # no joint state since
    command = rig.sup.compute_joint_command(rig.t)
    assert command.position is None and command.velocity is None
    np.testing.assert_array_equal(command.effort, ZEROS)
