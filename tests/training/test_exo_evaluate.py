"""The assistance evaluation command on a tiny budget, with a hand-written assistance law."""

from __future__ import annotations

import json
import math

import numpy as np

from legkit.policy.defaults import training_contract
from legkit.robots import EXOSKELETON
from legkit_train.exo_evaluate import hip_velocity_law, main


def test_the_hip_velocity_law_reads_the_newest_thigh_rates_from_the_observation() -> None:
    contract = training_contract(EXOSKELETON)
    obs = np.zeros(contract.observation_size, dtype=np.float32)
    obs[-4:-2] = [0.2 * 2.0, 0.2 * -1.0]  # newest frame: thigh rates 2 and -1 rad/s, scaled
    action = hip_velocity_law(contract, gain=4.5)(obs)
    np.testing.assert_allclose(action * contract.action_scale, [9.0, -4.5], rtol=1e-6)


def test_evaluation_compares_assist_zero_torque_and_no_exoskeleton(tmp_path) -> None:
    out = tmp_path / "eval"
    summary = main(["--law", "hip-velocity", "--gain", "6", "--cycles", "1", "--out", str(out)])
    assert (out / "effort.png").stat().st_size > 10_000
    assert json.loads((out / "summary.json").read_text())["changes"] == summary["changes"]
    conditions = summary["conditions"]
    assist, zero, alone = (conditions[k] for k in ("assist", "zero_torque", "no_exo"))
    assert zero["exo_peak_torque"] == 0.0 and alone["exo_positive_power"] == 0.0
    assert 5.0 < assist["exo_peak_torque"] <= 18.0 and assist["exo_positive_power"] > 0.0
    for c in (assist, zero, alone):
        assert c["hip_effort"] > 0.0 and c["hip_positive_work"] > 0.0
        assert len(c["hip_profile"]) == 50
    assert all(math.isfinite(v) for v in summary["changes"].values())
    # Pushing with the thigh's motion hands the hips positive work: they do less of it.
    assert summary["changes"]["hip_positive_work_vs_zero_torque_pct"] < -10.0
