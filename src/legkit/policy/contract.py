"""The policy contract: everything deployment must reproduce from training.

A trained policy is an ONNX file plus the conditions it was trained under: which
robot, joints in which order, the default pose actions are offsets from, how actions
are scaled and clipped, the observation layout, the control and physics periods and
the PD gains. The contract travels inside the ONNX file (metadata key
`CONTRACT_METADATA_KEY`, JSON) and beside it as a readable ``<stem>.contract.json``.
Deployment configures itself from the contract and refuses one that disagrees with
the robot profile, naming the disagreement.

JSON form (schema version 1, every key required, no others allowed)::

    schema_version, robot, joint_names, default_joint_positions, action_scale,
    action_clip, observation: [{name, size, scale}], observation_size,
    observation_clip, history_length, control_period, physics_period, kp, kd,
    input_name, output_name, provenance: {str: str}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from legkit.policy.observation import (
    DEFAULT_QUADRUPED_TERMS,
    ObservationTerm,
    make_layout,
    validate_layout,
)
from legkit.robots.profile import RobotProfile

CONTRACT_METADATA_KEY = "legkit.contract"
"""ONNX metadata_props key holding the contract JSON."""
SCHEMA_VERSION = 1
"""Version of the JSON form written by `PolicyContract.to_json`."""

_JOINT_TOL = 1e-6  # rad for positions, N m/rad and N m s/rad for gains
_PERIOD_TOL = 1e-9  # s
_POSITIVE_NUMBERS = (
    "action_scale",
    "action_clip",
    "observation_clip",
    "control_period",
    "physics_period",
)


class ContractError(ValueError):
    """A contract that cannot be read or does not fit; the message names the problem.

    `reason` is the problem alone; `source` the file (or other origin) when known. The
    message is ``"<source>: <reason>"`` when there is a source, else the reason.
    """

    def __init__(self, reason: str, source: str | None = None) -> None:
        self.reason = reason
        self.source = source
        super().__init__(f"{source}: {reason}" if source else reason)


@dataclass(frozen=True)
class PolicyContract:
    """Training conditions a policy is only valid under. Joint arrays are in `joint_names` order.

    Sequences are stored as tuples of float/str whatever was passed; provenance values
    are stored as strings. Inconsistent fields raise `ContractError`.
    """

    robot: str
    """Robot profile id the policy was trained for."""
    joint_names: tuple[str, ...]
    """Actuated joints in the order of every per-joint array and of the action."""
    default_joint_positions: tuple[float, ...]
    """Pose actions are offsets from [rad]."""
    action_scale: float
    """Joint target = default + action_scale * clip(action) [rad per unit action]."""
    action_clip: float
    """Raw actions are clipped to [-action_clip, action_clip] before scaling."""
    observation: tuple[ObservationTerm, ...]
    """Observation layout of one frame, in order."""
    history_length: int
    """Frames stacked into the policy input, oldest first."""
    control_period: float
    """Policy period [s] (0.02 = 50 Hz)."""
    physics_period: float
    """PD / physics period used in training [s]."""
    kp: tuple[float, ...]
    """PD stiffness per joint used in training [N m/rad]."""
    kd: tuple[float, ...]
    """PD damping per joint used in training [N m s/rad]."""
    observation_clip: float = 100.0
    """Scaled observation elements are clipped to [-observation_clip, observation_clip]."""
    input_name: str = "obs"
    """Name of the ONNX model input."""
    output_name: str = "actions"
    """Name of the ONNX model output holding the raw action."""
    provenance: Mapping[str, str] = field(default_factory=dict, hash=False)
    """How the policy was made: training command, commit, steps, description."""

    def __post_init__(self) -> None:
        # Normalise container types so contracts compare equal whatever they were built from.
        set_ = object.__setattr__
        set_(self, "joint_names", tuple(str(n) for n in self.joint_names))
        for key in ("default_joint_positions", "kp", "kd"):
            set_(self, key, tuple(float(v) for v in getattr(self, key)))
        set_(self, "observation", tuple(self.observation))
        for key in _POSITIVE_NUMBERS:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float | np.floating):
                raise ContractError(f"key '{key}': expected a number, got {value!r}")
            set_(self, key, float(value))
        if isinstance(self.history_length, bool) or not isinstance(
            self.history_length, int | np.integer
        ):
            raise ContractError(
                f"key 'history_length': must be an integer, got {self.history_length!r}"
            )
        set_(self, "history_length", int(self.history_length))
        set_(self, "provenance", {str(k): str(v) for k, v in dict(self.provenance).items()})
        self._validate()

    def _validate(self) -> None:
        n = len(self.joint_names)
        if n == 0:
            raise ContractError("key 'joint_names': no joints")
        if len(set(self.joint_names)) != n:
            raise ContractError(f"key 'joint_names': duplicate names in {list(self.joint_names)}")
        for key in ("default_joint_positions", "kp", "kd"):
            values = getattr(self, key)
            if len(values) != n:
                raise ContractError(f"key '{key}': {len(values)} values for {n} joints")
            if not all(math.isfinite(v) for v in values):
                raise ContractError(f"key '{key}': values must be finite")
        for key in ("kp", "kd"):
            if any(v < 0.0 for v in getattr(self, key)):
                raise ContractError(f"key '{key}': gains must be non-negative")
        for key in _POSITIVE_NUMBERS:
            value = getattr(self, key)
            if not (math.isfinite(value) and value > 0.0):
                raise ContractError(f"key '{key}': must be a positive number, got {value}")
        if self.history_length < 1:
            raise ContractError(
                f"key 'history_length': must be at least 1, got {self.history_length}"
            )
        # Training steps physics a whole number of times per policy step; anything else
        # means the periods written here are not the ones the policy saw.
        ratio = self.control_period / self.physics_period
        if (
            round(ratio) < 1
            or abs(round(ratio) * self.physics_period - self.control_period) > _PERIOD_TOL
        ):
            raise ContractError(
                f"key 'control_period': {self.control_period} s is not a whole multiple of "
                f"physics_period {self.physics_period} s"
            )
        try:
            validate_layout(self.observation, n)
        except ValueError as err:
            raise ContractError(f"key 'observation': {err}") from None
        for key in ("robot", "input_name", "output_name"):
            if not getattr(self, key):
                raise ContractError(f"key '{key}': must be a non-empty string")

    @property
    def action_size(self) -> int:
        """Elements in the action: one per joint."""
        return len(self.joint_names)

    @property
    def observation_size(self) -> int:
        """Elements in the model input: one frame times the history length."""
        return sum(t.size for t in self.observation) * self.history_length

    @property
    def decimation(self) -> int:
        """Physics steps per policy step."""
        return round(self.control_period / self.physics_period)

    def joint_targets(self, action: np.ndarray) -> np.ndarray:
        """PD position targets [rad] for a raw action: default + scale * clip(action).

        float64, shape (n,). NaN in the action stays NaN; the safety layer decides.
        """
        a = np.asarray(action, dtype=float)
        if a.shape != (self.action_size,):
            raise ValueError(f"action: expected shape ({self.action_size},), got {a.shape}")
        clipped = np.clip(a, -self.action_clip, self.action_clip)
        return np.asarray(self.default_joint_positions) + self.action_scale * clipped

    def to_dict(self) -> dict[str, Any]:
        """The JSON form as plain Python objects (see the module docstring)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "robot": self.robot,
            "joint_names": list(self.joint_names),
            "default_joint_positions": list(self.default_joint_positions),
            "action_scale": self.action_scale,
            "action_clip": self.action_clip,
            "observation": [
                {"name": t.name, "size": t.size, "scale": list(t.scale)} for t in self.observation
            ],
            "observation_size": self.observation_size,
            "observation_clip": self.observation_clip,
            "history_length": self.history_length,
            "control_period": self.control_period,
            "physics_period": self.physics_period,
            "kp": list(self.kp),
            "kd": list(self.kd),
            "input_name": self.input_name,
            "output_name": self.output_name,
            "provenance": dict(self.provenance),
        }

    def to_json(self) -> str:
        """Readable JSON, keys in schema order, no trailing newline.

        Objects are indented; lists of plain values stay on one line so a 12-joint
        array reads as one row rather than twelve.
        """
        return _pretty_json(self.to_dict())

    @classmethod
    def from_json(cls, text: str, source: str = "<string>") -> PolicyContract:
        """Parse the JSON form; ContractError naming `source` and the offending key."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ContractError(f"not valid JSON: {err}", source) from None
        try:
            return _from_dict(data)
        except ContractError as err:
            raise ContractError(err.reason, source) from None


def _pretty_json(value: Any, indent: int = 0) -> str:
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_pretty_json(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = [f"{inner}{_pretty_json(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, allow_nan=False)


# --- JSON parsing -------------------------------------------------------------------------

_KEYS = (
    "schema_version",
    "robot",
    "joint_names",
    "default_joint_positions",
    "action_scale",
    "action_clip",
    "observation",
    "observation_size",
    "observation_clip",
    "history_length",
    "control_period",
    "physics_period",
    "kp",
    "kd",
    "input_name",
    "output_name",
    "provenance",
)
_TERM_KEYS = ("name", "size", "scale")


def _check_keys(data: Any, allowed: Sequence[str], where: str) -> None:
    if not isinstance(data, dict):
        raise ContractError(f"{where}: expected a JSON object, got {type(data).__name__}")
    unknown = [k for k in data if k not in allowed]
    if unknown:
        raise ContractError(f"{where}: unknown key '{unknown[0]}'")
    missing = [k for k in allowed if k not in data]
    if missing:
        raise ContractError(f"{where}: missing key '{missing[0]}'")


def _number(value: Any, key: str) -> float:
    # bool is an int in Python; `true` is never a meaningful number here.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ContractError(f"key '{key}': expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ContractError(f"key '{key}': expected a finite number, got {value!r}")
    return float(value)


def _integer(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ContractError(f"key '{key}': expected an integer, got {value!r}")
    return value


def _string(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise ContractError(f"key '{key}': expected a string, got {value!r}")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise ContractError(f"key '{key}': expected a list, got {value!r}")
    return value


def _from_dict(data: Any) -> PolicyContract:
    # Check the version before the key set: a newer schema may have other keys, and
    # "unsupported version" is the message that tells the user what to do.
    if isinstance(data, dict) and "schema_version" in data:
        version = data["schema_version"]
        if version != SCHEMA_VERSION:
            raise ContractError(
                f"key 'schema_version': version {version!r} is not supported "
                f"(this legkit reads version {SCHEMA_VERSION})"
            )
    _check_keys(data, _KEYS, "contract")

    terms = []
    for i, entry in enumerate(_list(data["observation"], "observation")):
        where = f"observation[{i}]"
        _check_keys(entry, _TERM_KEYS, f"key '{where}'")
        scale = tuple(_number(s, f"{where}.scale") for s in _list(entry["scale"], f"{where}.scale"))
        size = _integer(entry["size"], f"{where}.size")
        if size != len(scale):
            raise ContractError(f"key '{where}.size': {size}, but scale has {len(scale)} values")
        terms.append(ObservationTerm(_string(entry["name"], f"{where}.name"), scale))

    provenance = data["provenance"]
    if not isinstance(provenance, dict):
        raise ContractError(f"key 'provenance': expected a JSON object, got {provenance!r}")
    for k, v in provenance.items():
        _string(v, f"provenance.{k}")

    contract = PolicyContract(
        robot=_string(data["robot"], "robot"),
        joint_names=tuple(
            _string(n, "joint_names") for n in _list(data["joint_names"], "joint_names")
        ),
        default_joint_positions=tuple(
            _number(v, "default_joint_positions")
            for v in _list(data["default_joint_positions"], "default_joint_positions")
        ),
        action_scale=_number(data["action_scale"], "action_scale"),
        action_clip=_number(data["action_clip"], "action_clip"),
        observation=tuple(terms),
        history_length=_integer(data["history_length"], "history_length"),
        control_period=_number(data["control_period"], "control_period"),
        physics_period=_number(data["physics_period"], "physics_period"),
        kp=tuple(_number(v, "kp") for v in _list(data["kp"], "kp")),
        kd=tuple(_number(v, "kd") for v in _list(data["kd"], "kd")),
        observation_clip=_number(data["observation_clip"], "observation_clip"),
        input_name=_string(data["input_name"], "input_name"),
        output_name=_string(data["output_name"], "output_name"),
        provenance=provenance,
    )
    declared = _integer(data["observation_size"], "observation_size")
    if declared != contract.observation_size:
        raise ContractError(
            f"key 'observation_size': {declared}, but the terms and history give "
            f"{contract.observation_size}"
        )
    return contract


# --- Contracts and robot profiles ----------------------------------------------------------


def contract_for_profile(
    profile: RobotProfile,
    *,
    observation_terms: Sequence[str] = DEFAULT_QUADRUPED_TERMS,
    action_scale: float = 0.25,
    action_clip: float = 10.0,
    history_length: int = 1,
    control_period: float | None = None,
    physics_period: float | None = None,
    provenance: Mapping[str, str] | None = None,
) -> PolicyContract:
    """A contract taking joint order, default pose, PD gains and rates from `profile`.

    `control_period` and `physics_period` [s] default to the profile's rates.

    Observation terms get their default scales (see `legkit.policy.observation`).
    """
    return PolicyContract(
        robot=profile.name,
        joint_names=profile.joint_names,
        default_joint_positions=tuple(profile.default_positions),
        action_scale=action_scale,
        action_clip=action_clip,
        observation=make_layout(observation_terms, profile.num_joints),
        history_length=history_length,
        control_period=control_period or 1.0 / profile.control_rate_hz,
        physics_period=physics_period or 1.0 / profile.physics_rate_hz,
        kp=tuple(profile.kp),
        kd=tuple(profile.kd),
        provenance=dict(provenance or {}),
    )


def _per_joint_mismatch(
    label: str,
    unit: str,
    contract_values: Sequence[float],
    profile_values: np.ndarray,
    names: Sequence[str],
) -> str | None:
    """Name the first joint whose value differs, with both values, and how many differ."""
    differing = [
        i
        for i, (c, p) in enumerate(zip(contract_values, profile_values, strict=True))
        if abs(c - p) > _JOINT_TOL
    ]
    if not differing:
        return None
    i = differing[0]
    text = (
        f"{label} of joint '{names[i]}' is {contract_values[i]:g} {unit} in the contract "
        f"but {profile_values[i]:g} {unit} in the profile"
    )
    if len(differing) > 1:
        text += f" ({len(differing)} joints differ)"
    return text


def period_mismatch(contract: PolicyContract, control_period: float) -> str | None:
    """Describe a control-period disagreement, or None when they agree (tolerance 1 ns)."""
    if abs(contract.control_period - control_period) <= _PERIOD_TOL:
        return None
    return (
        f"control period is {contract.control_period:g} s in the contract "
        f"but {control_period:g} s in deployment"
    )


def mismatches(
    contract: PolicyContract,
    profile: RobotProfile,
    *,
    control_period: float | None = None,
) -> list[str]:
    """Every way `contract` disagrees with `profile` (and the deployment period), in words.

    Empty when they agree. Per-joint values are compared only when joint order agrees:
    with a different order, index-wise differences would be noise.
    """
    found: list[str] = []
    if contract.robot != profile.name:
        found.append(
            f"robot is '{contract.robot}' in the contract but '{profile.name}' in the profile"
        )
    names = profile.joint_names
    if len(contract.joint_names) != len(names):
        found.append(f"contract has {len(contract.joint_names)} joints, profile has {len(names)}")
    else:
        order = next(
            (i for i, (c, p) in enumerate(zip(contract.joint_names, names, strict=True)) if c != p),
            None,
        )
        if order is not None:
            found.append(
                f"joint order differs at index {order}: '{contract.joint_names[order]}' in the "
                f"contract, '{names[order]}' in the profile"
            )
        else:
            checks = (
                (
                    "default position",
                    "rad",
                    contract.default_joint_positions,
                    profile.default_positions,
                ),
                ("kp", "N m/rad", contract.kp, profile.kp),
                ("kd", "N m s/rad", contract.kd, profile.kd),
            )
            for label, unit, ours, theirs in checks:
                text = _per_joint_mismatch(label, unit, ours, theirs, names)
                if text:
                    found.append(text)
    if control_period is not None:
        text = period_mismatch(contract, control_period)
        if text:
            found.append(text)
    return found


def check_against_profile(
    contract: PolicyContract,
    profile: RobotProfile,
    *,
    control_period: float | None = None,
    source: str = "<contract>",
) -> None:
    """ContractError listing every mismatch between `contract` and `profile`, if any."""
    found = mismatches(contract, profile, control_period=control_period)
    if found:
        raise ContractError(
            f"contract does not match robot profile '{profile.name}': {'; '.join(found)}",
            source,
        )


# --- ONNX files ----------------------------------------------------------------------------


def contract_from_metadata(metadata: Mapping[str, str], source: str) -> PolicyContract:
    """The contract in an ONNX model's custom metadata map; ContractError if absent or bad."""
    text = metadata.get(CONTRACT_METADATA_KEY)
    if text is None:
        raise ContractError(f"has no {CONTRACT_METADATA_KEY} metadata", source)
    return PolicyContract.from_json(text, source=source)


def read_contract(onnx_path: str | Path) -> PolicyContract:
    """Read the contract embedded in an ONNX file, with onnxruntime only.

    The robot runtime has no `onnx` package, so this goes through an inference
    session's model metadata. Every failure is a ContractError starting with the path.
    """
    import onnxruntime as ort

    path = Path(onnx_path)
    if not path.is_file():
        raise ContractError("file not found", str(path))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # ort raises several unrelated types for unreadable files
        raise ContractError(f"not a valid ONNX model: {_first_line(err)}", str(path)) from None
    return contract_from_metadata(session.get_modelmeta().custom_metadata_map, str(path))


def sidecar_path(onnx_path: str | Path) -> Path:
    """``models/x.onnx`` -> ``models/x.contract.json``."""
    path = Path(onnx_path)
    return path.with_name(f"{path.stem}.contract.json")


def embed_contract(
    onnx_path: str | Path, contract: PolicyContract, *, sidecar: bool = True
) -> None:
    """Write `contract` into the ONNX file's metadata (replacing any) and the sidecar JSON.

    Needs the `onnx` package (a training / tooling dependency, not a runtime one).
    """
    import onnx

    path = Path(onnx_path)
    model = onnx.load(str(path))
    kept = [p for p in model.metadata_props if p.key != CONTRACT_METADATA_KEY]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    entry = model.metadata_props.add()
    entry.key = CONTRACT_METADATA_KEY
    entry.value = contract.to_json()
    onnx.save(model, str(path))
    if sidecar:
        sidecar_path(path).write_text(contract.to_json() + "\n", encoding="utf-8")


def _first_line(err: BaseException, limit: int = 200) -> str:
    """A one-line, bounded version of an exception message for error reports."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."
