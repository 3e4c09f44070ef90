"""Specification of the policy contract (legkit.policy.contract)."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from legkit.policy import (
    CONTRACT_METADATA_KEY,
    SCHEMA_VERSION,
    ContractError,
    PolicyContract,
    check_against_profile,
    contract_for_profile,
    embed_contract,
    make_layout,
    mismatches,
    read_contract,
)
from legkit.robots import QUADRUPED
from tests.onnx_factory import write_model_for

CONTRACT = contract_for_profile(
    QUADRUPED, provenance={"command": "python train.py --seed 1", "commit": "abc1234"}
)


def swap(values: tuple, i: int, j: int) -> tuple:
    out = list(values)
    out[i], out[j] = out[j], out[i]
    return tuple(out)


def replace_at(values: tuple, i: int, value: object) -> tuple:
    out = list(values)
    out[i] = value
    return tuple(out)


# --- building and serialising ---------------------------------------------------------------


def test_json_round_trip_is_lossless():
    assert PolicyContract.from_json(CONTRACT.to_json()) == CONTRACT
    assert PolicyContract.from_json(CONTRACT.to_json()).provenance == CONTRACT.provenance


def test_json_carries_schema_version_and_derived_sizes_for_readers():
    data = json.loads(CONTRACT.to_json())
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["observation_size"] == 45
    assert [t["size"] for t in data["observation"]] == [3, 3, 3, 12, 12, 12]


def test_contract_for_profile_takes_everything_from_the_profile():
    assert CONTRACT.robot == QUADRUPED.name
    assert CONTRACT.joint_names == QUADRUPED.joint_names
    assert CONTRACT.default_joint_positions == tuple(QUADRUPED.default_positions)
    assert CONTRACT.kp == tuple(QUADRUPED.kp)
    assert CONTRACT.kd == tuple(QUADRUPED.kd)
    assert CONTRACT.action_size == QUADRUPED.num_joints == 12
    assert CONTRACT.observation_size == 45
    assert CONTRACT.control_period == pytest.approx(1.0 / QUADRUPED.control_rate_hz)
    assert CONTRACT.physics_period == pytest.approx(1.0 / QUADRUPED.physics_rate_hz)
    assert CONTRACT.decimation == round(QUADRUPED.physics_rate_hz / QUADRUPED.control_rate_hz)
    assert mismatches(CONTRACT, QUADRUPED, control_period=0.02) == []
    check_against_profile(CONTRACT, QUADRUPED, control_period=0.02)  # does not raise


def test_joint_targets_are_default_plus_scaled_clipped_action():
    action = np.zeros(12)
    action[0], action[1] = 1.0, 50.0  # 50 is clipped to action_clip = 10
    targets = CONTRACT.joint_targets(action)
    assert targets.dtype == np.float64
    assert targets[0] == pytest.approx(0.0 + 0.25 * 1.0)
    assert targets[1] == pytest.approx(0.8 + 0.25 * 10.0)
    np.testing.assert_allclose(targets[2:], QUADRUPED.default_positions[2:])
    with pytest.raises(ValueError, match=r"expected shape \(12,\)"):
        CONTRACT.joint_targets(np.zeros(11))


# --- mismatches against a profile -------------------------------------------------------------

# (case, changed contract fields, words the report must contain)
MISMATCHES = [
    ("robot id", {"robot": "biped"}, ["robot", "'biped'", "'quadruped'"]),
    (
        "joint count",
        {
            "joint_names": QUADRUPED.joint_names[:6],
            "default_joint_positions": CONTRACT.default_joint_positions[:6],
            "kp": CONTRACT.kp[:6],
            "kd": CONTRACT.kd[:6],
            # Joint terms shrink with the joints, or the contract itself is inconsistent.
            "observation": make_layout(("projected_gravity", "joint_pos"), 6),
        },
        ["6 joints", "12"],
    ),
    (
        "joint order swapped",
        {"joint_names": swap(QUADRUPED.joint_names, 3, 4)},
        ["index 3", "'RF_HFE'", "'RF_HAA'"],
    ),
    (
        "default position",
        {"default_joint_positions": replace_at(CONTRACT.default_joint_positions, 4, 0.9)},
        ["default position", "'RF_HFE'", "0.9", "0.8"],
    ),
    ("kp", {"kp": replace_at(CONTRACT.kp, 11, 25.0)}, ["kp", "'RH_KFE'", "25", "30"]),
    ("kd", {"kd": (1.0,) * 12}, ["kd", "'LF_HAA'", "1", "0.8", "12 joints differ"]),
]


@pytest.mark.parametrize(
    ("changes", "words"), [m[1:] for m in MISMATCHES], ids=[m[0] for m in MISMATCHES]
)
def test_each_mismatch_is_reported_by_name(changes, words):
    contract = dataclasses.replace(CONTRACT, **changes)
    found = mismatches(contract, QUADRUPED)
    assert len(found) == 1, found
    for word in words:
        assert word in found[0]


def test_default_position_within_tolerance_is_no_mismatch():
    nudged = replace_at(CONTRACT.default_joint_positions, 4, 0.8 + 1e-7)
    contract = dataclasses.replace(CONTRACT, default_joint_positions=nudged)
    assert mismatches(contract, QUADRUPED) == []


def test_control_period_mismatch_is_reported_only_when_a_period_is_given():
    assert mismatches(CONTRACT, QUADRUPED) == []
    (found,) = mismatches(CONTRACT, QUADRUPED, control_period=0.01)
    assert "control period" in found and "0.02 s" in found and "0.01 s" in found


def test_check_against_profile_lists_all_mismatches_after_the_source():
    contract = dataclasses.replace(CONTRACT, robot="biped", kp=(20.0,) * 12)
    with pytest.raises(ContractError) as raised:
        check_against_profile(contract, QUADRUPED, control_period=0.01, source="models/x.onnx")
    message = str(raised.value)
    assert message.startswith(
        "models/x.onnx: contract does not match robot profile 'quadruped': robot is 'biped'"
    )
    assert message.count("; ") == 2  # robot, kp, control period
    assert "kp of joint 'LF_HAA'" in message and "control period" in message


# --- refusing malformed contracts -----------------------------------------------------------


def _edited_json(edit) -> str:
    data = json.loads(CONTRACT.to_json())
    edit(data)
    return json.dumps(data)


# (case, edit of the JSON dict, words the error must contain)
BAD_JSON = [
    ("unknown key", lambda d: d.update(action_offset=0.0), "unknown key 'action_offset'"),
    ("missing key", lambda d: d.pop("kd"), "missing key 'kd'"),
    (
        "schema version from the future",
        lambda d: d.update(schema_version=2),
        "'schema_version': version 2 is not supported",
    ),
    ("missing schema version", lambda d: d.pop("schema_version"), "missing key 'schema_version'"),
    (
        "kp length differs from joints",
        lambda d: d.update(kp=d["kp"][:11]),
        "key 'kp': 11 values for 12 joints",
    ),
    (
        "joint term sized for other joints",
        lambda d: d["observation"][3].update(size=2, scale=[1.0, 1.0]),
        "key 'observation'",
    ),
    (
        "term size disagrees with its scale",
        lambda d: d["observation"][0].update(size=4),
        "key 'observation[0].size'",
    ),
    (
        "unknown key in a term",
        lambda d: d["observation"][0].update(unit="rad"),
        "unknown key 'unit'",
    ),
    (
        "observation_size disagrees",
        lambda d: d.update(observation_size=48),
        "key 'observation_size': 48",
    ),
    (
        "string where a number belongs",
        lambda d: d.update(action_scale="0.25"),
        "key 'action_scale': expected a number",
    ),
    ("non-finite number", lambda d: d.update(action_clip=float("inf")), "key 'action_clip'"),
    (
        "history of zero frames",
        lambda d: d.update(history_length=0, observation_size=0),
        "key 'history_length'",
    ),
    (
        "control period not a multiple of physics",
        lambda d: d.update(control_period=0.021),
        "key 'control_period'",
    ),
    (
        "provenance value not a string",
        lambda d: d["provenance"].update(steps=100),
        "key 'provenance.steps'",
    ),
]


@pytest.mark.parametrize(("edit", "words"), [b[1:] for b in BAD_JSON], ids=[b[0] for b in BAD_JSON])
def test_from_json_refuses_malformed_contracts_naming_the_key(edit, words):
    with pytest.raises(ContractError) as raised:
        PolicyContract.from_json(_edited_json(edit), source="models/bad.contract.json")
    assert str(raised.value).startswith("models/bad.contract.json: ")
    assert words in str(raised.value)


def test_from_json_refuses_text_that_is_not_json():
    with pytest.raises(ContractError, match="^here: not valid JSON"):
        PolicyContract.from_json("{robot: quadruped", source="here")


# --- ONNX files -----------------------------------------------------------------------------


def test_embed_and_read_round_trip_through_a_real_onnx_file(tmp_path):
    path = write_model_for(tmp_path / "policy.onnx", CONTRACT, embed=False)
    embed_contract(path, CONTRACT)
    assert read_contract(path) == CONTRACT


def test_embed_replaces_a_previous_contract(tmp_path):
    import onnx

    path = write_model_for(tmp_path / "policy.onnx", CONTRACT)
    newer = dataclasses.replace(CONTRACT, provenance={"commit": "def5678"})
    embed_contract(path, newer)
    assert read_contract(path) == newer
    keys = [p.key for p in onnx.load(str(path)).metadata_props]
    assert keys.count(CONTRACT_METADATA_KEY) == 1


def test_embed_writes_a_readable_sidecar_equal_to_the_embedded_contract(tmp_path):
    path = write_model_for(tmp_path / "walk.onnx", CONTRACT, embed=False)
    embed_contract(path, CONTRACT)
    sidecar = tmp_path / "walk.contract.json"
    text = sidecar.read_text()
    assert text.endswith("\n") and "\n  " in text  # pretty, not one line
    assert PolicyContract.from_json(text, source=str(sidecar)) == CONTRACT


def test_embed_without_sidecar_writes_none(tmp_path):
    path = write_model_for(tmp_path / "walk.onnx", CONTRACT, embed=False)
    embed_contract(path, CONTRACT, sidecar=False)
    assert not (tmp_path / "walk.contract.json").exists()


def test_read_contract_from_a_model_without_one_names_file_and_key(tmp_path):
    path = write_model_for(tmp_path / "bare.onnx", CONTRACT, embed=False)
    with pytest.raises(ContractError, match=f"^{path}: has no {CONTRACT_METADATA_KEY} metadata"):
        read_contract(path)
