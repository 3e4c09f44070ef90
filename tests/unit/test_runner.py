"""Specification of the ONNX policy runner (legkit.policy.runner) and the shipped policy."""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest

from legkit import REPO_ROOT
from legkit.policy import (
    OnnxPolicy,
    PolicyContract,
    PolicyLoadError,
    contract_for_profile,
    read_contract,
)
from legkit.robots import QUADRUPED
from tests.onnx_factory import write_model_for

STANDING = REPO_ROOT / "models" / "quadruped_stand.onnx"
CONTRACT = contract_for_profile(QUADRUPED)


# --- the shipped standing policy ------------------------------------------------------------


def test_shipped_standing_policy_loads_and_returns_zero_actions():
    policy = OnnxPolicy(STANDING, QUADRUPED, control_period=0.02)
    obs = np.random.default_rng(0).normal(size=policy.contract.observation_size)
    action = policy.act(obs.astype(np.float32))
    assert action.dtype == np.float32
    np.testing.assert_array_equal(action, np.zeros(12, dtype=np.float32))
    np.testing.assert_array_equal(
        policy.contract.joint_targets(action), QUADRUPED.default_positions
    )


def test_shipped_standing_contract_is_the_quadruped_default_and_says_what_it_is():
    contract = read_contract(STANDING)
    assert dataclasses.replace(contract, provenance={}) == CONTRACT
    assert "not trained" in contract.provenance["description"].lower()
    assert contract.provenance["command"] == "python training/make_standing_policy.py"
    sidecar = STANDING.with_name("quadruped_stand.contract.json")
    assert PolicyContract.from_json(sidecar.read_text(), source=str(sidecar)) == contract


def test_act_print_latency_of_the_standing_policy():
    policy = OnnxPolicy(STANDING)
    obs = np.zeros(policy.contract.observation_size, dtype=np.float32)
    for _ in range(50):  # warm-up: first runs allocate
        policy.act(obs)
    times_us = np.empty(1000)
    for i in range(times_us.size):
        start = time.perf_counter_ns()
        policy.act(obs)
        times_us[i] = (time.perf_counter_ns() - start) / 1e3
    p50, p99 = np.percentile(times_us, [50, 99])
    print(f"\nOnnxPolicy.act (standing policy, 1000 calls): p50 {p50:.1f} us, p99 {p99:.1f} us")


# --- acting ---------------------------------------------------------------------------------


@pytest.mark.parametrize("batch_dim", [1, "batch", None], ids=["[1,n]", "[batch,n]", "[n]"])
def test_act_feeds_the_observation_through_the_model(tmp_path, batch_dim):
    # Weight picks obs[k] into action[k]: proves the observation reaches the model.
    weight = np.zeros((45, 12), dtype=np.float32)
    weight[np.arange(12), np.arange(12)] = 1.0
    path = write_model_for(tmp_path / "p.onnx", CONTRACT, batch_dim=batch_dim, weight=weight)
    obs = np.arange(45, dtype=np.float32)
    np.testing.assert_array_equal(OnnxPolicy(path).act(obs), obs[:12])


def test_act_refuses_an_observation_of_the_wrong_size():
    with pytest.raises(ValueError, match=r"expected shape \(45,\), got \(44,\)"):
        OnnxPolicy(STANDING).act(np.zeros(44, dtype=np.float32))


# --- load errors: one line, naming the file and the reason ----------------------------------


def _missing(tmp_path):
    return tmp_path / "nowhere.onnx", {}


def _text_file(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("this is a text file, not a model\n")
    return path, {}


def _model(**overrides):
    def make(tmp_path):
        return write_model_for(tmp_path / "policy.onnx", CONTRACT, **overrides), {}

    return make


def _against_profile(contract: PolicyContract, **kwargs):
    def make(tmp_path):
        path = write_model_for(tmp_path / "policy.onnx", contract)
        return path, {"profile": QUADRUPED, **kwargs}

    return make


def _period_only(tmp_path):
    return write_model_for(tmp_path / "policy.onnx", CONTRACT), {"control_period": 0.01}


OTHER_ROBOT = dataclasses.replace(CONTRACT, robot="biped")
REORDERED = dataclasses.replace(
    CONTRACT,
    joint_names=QUADRUPED.joint_names[3:6] + QUADRUPED.joint_names[:3] + QUADRUPED.joint_names[6:],
)

# (case, make(tmp_path) -> (path, OnnxPolicy kwargs), reason the message must contain)
LOAD_ERRORS = [
    ("missing file", _missing, "file not found"),
    ("text file renamed .onnx", _text_file, "not a valid ONNX model: "),
    ("ONNX without a contract", _model(embed=False), "has no legkit.contract metadata"),
    (
        "input size disagrees",
        _model(obs_size=30),
        "model input 'obs' has size 30 but the contract's observation is 45",
    ),
    (
        "output size disagrees",
        _model(action_size=8),
        "model output 'actions' has size 8 but the contract has 12 joints",
    ),
    (
        "input named differently",
        _model(input_name="observation"),
        "model input is named 'observation' but the contract's input_name is 'obs'",
    ),
    (
        "output named differently",
        _model(output_name="mu"),
        "model has no output 'actions' (outputs: 'mu')",
    ),
    (
        "fixed batch larger than one",
        _model(batch_dim=4),
        "model input 'obs' has shape [4, 45]; expected [45] or [1, 45]",
    ),
    (
        "contract for another robot",
        _against_profile(OTHER_ROBOT),
        "contract does not match robot profile 'quadruped': robot is 'biped' in the contract",
    ),
    (
        "contract with another joint order",
        _against_profile(REORDERED),
        "joint order differs at index 0: 'RF_HAA' in the contract, 'LF_HAA' in the profile",
    ),
    (
        "control period differs (with profile)",
        _against_profile(CONTRACT, control_period=0.01),
        "control period is 0.02 s in the contract but 0.01 s in deployment",
    ),
    (
        "control period differs (no profile)",
        _period_only,
        "control period is 0.02 s in the contract but 0.01 s in deployment",
    ),
]


@pytest.mark.parametrize(
    ("make", "reason"), [e[1:] for e in LOAD_ERRORS], ids=[e[0] for e in LOAD_ERRORS]
)
def test_load_errors_name_the_file_and_the_reason(tmp_path, make, reason):
    path, kwargs = make(tmp_path)
    with pytest.raises(PolicyLoadError) as raised:
        OnnxPolicy(path, **kwargs)
    message = str(raised.value)
    assert message.startswith(f"policy '{path}': ")
    assert reason in message
    assert "\n" not in message
