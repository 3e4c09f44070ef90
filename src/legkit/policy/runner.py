"""Run a contracted ONNX policy with onnxruntime on the CPU.

`OnnxPolicy` loads a ``.onnx`` file, reads its embedded contract, checks the model's
input and output against it (and, when given, the contract against the robot profile
and the deployment control period), and maps an observation to a raw action. Every
load failure is a one-line `PolicyLoadError` naming the file and the problem, so a
launch log says exactly why a robot refused to start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from legkit.policy.contract import (
    ContractError,
    PolicyContract,
    _first_line,
    check_against_profile,
    contract_from_metadata,
    period_mismatch,
)
from legkit.robots.profile import RobotProfile


class PolicyLoadError(RuntimeError):
    """A policy file that cannot be used: ``policy '<path>': <reason>``, one line."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = " ".join(reason.split())
        super().__init__(f"policy '{path}': {self.reason}")


def _session_options() -> ort.SessionOptions:
    # One thread, sequential: the control loop shares a small CPU with ROS, and a
    # 45x12 network gains nothing from a thread pool but jitter.
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return options


def _describe_shape(shape: list[Any]) -> str:
    return "[" + ", ".join(repr(d) if isinstance(d, str) else str(d) for d in shape) + "]"


def _feature_size(shape: list[Any]) -> int | None:
    """Elements per sample for a [n] or [1|symbolic, n] tensor shape; None otherwise."""
    if len(shape) == 1:
        batch, features = 1, shape[0]
    elif len(shape) == 2:
        batch, features = shape
    else:
        return None
    # A symbolic or unknown batch dimension (str / None) accepts the single sample we feed.
    if isinstance(batch, int) and batch != 1:
        return None
    return features if isinstance(features, int) else None


class OnnxPolicy:
    """A policy file and its contract, ready to act."""

    def __init__(
        self,
        path: str | Path,
        profile: RobotProfile | None = None,
        *,
        control_period: float | None = None,
    ) -> None:
        """
        Args:
            path: the ``.onnx`` file.
            profile: robot to check the contract against; None skips the check.
            control_period: deployment policy period [s] to check against the contract;
                None skips the check.

        Raises:
            PolicyLoadError: the file is missing, not ONNX, has no or a bad contract, its
                input/output disagree with the contract, or the contract disagrees with
                `profile` / `control_period`.
        """
        self.path = Path(path)
        if not self.path.is_file():
            raise PolicyLoadError(self.path, "file not found")
        try:
            self._session = ort.InferenceSession(
                str(self.path), _session_options(), providers=["CPUExecutionProvider"]
            )
        except Exception as err:  # ort raises several unrelated types for unreadable files
            raise PolicyLoadError(
                self.path, f"not a valid ONNX model: {_first_line(err)}"
            ) from None

        source = str(self.path)
        try:
            self.contract: PolicyContract = contract_from_metadata(
                self._session.get_modelmeta().custom_metadata_map, source
            )
        except ContractError as err:
            raise PolicyLoadError(self.path, err.reason) from None
        # A file that disagrees with its own contract is broken on any robot: say so first.
        self._input_shape = self._check_input()
        self._check_output()

        if profile is not None:
            try:
                check_against_profile(
                    self.contract, profile, control_period=control_period, source=source
                )
            except ContractError as err:
                raise PolicyLoadError(self.path, err.reason) from None
        elif control_period is not None:
            text = period_mismatch(self.contract, control_period)
            if text:
                raise PolicyLoadError(self.path, text)

    def _check_input(self) -> tuple[int, ...]:
        """Shape to feed the model; PolicyLoadError if the input does not fit the contract."""
        c = self.contract
        inputs = self._session.get_inputs()
        if len(inputs) != 1:
            names = ", ".join(f"'{i.name}'" for i in inputs)
            raise PolicyLoadError(
                self.path,
                f"model has {len(inputs)} inputs ({names}); a policy takes one, '{c.input_name}'",
            )
        (model_input,) = inputs
        if model_input.name != c.input_name:
            raise PolicyLoadError(
                self.path,
                f"model input is named '{model_input.name}' but the contract's input_name "
                f"is '{c.input_name}'",
            )
        if model_input.type != "tensor(float)":
            raise PolicyLoadError(
                self.path, f"model input '{c.input_name}' is {model_input.type}, expected float32"
            )
        size = _feature_size(model_input.shape)
        if size is None:
            raise PolicyLoadError(
                self.path,
                f"model input '{c.input_name}' has shape {_describe_shape(model_input.shape)}; "
                f"expected [{c.observation_size}] or [1, {c.observation_size}]",
            )
        if size != c.observation_size:
            raise PolicyLoadError(
                self.path,
                f"model input '{c.input_name}' has size {size} but the contract's observation "
                f"is {c.observation_size}",
            )
        return (size,) if len(model_input.shape) == 1 else (1, size)

    def _check_output(self) -> None:
        c = self.contract
        outputs = {o.name: o for o in self._session.get_outputs()}
        if c.output_name not in outputs:
            names = ", ".join(f"'{n}'" for n in outputs)
            raise PolicyLoadError(
                self.path, f"model has no output '{c.output_name}' (outputs: {names})"
            )
        output = outputs[c.output_name]
        if output.type != "tensor(float)":
            raise PolicyLoadError(
                self.path, f"model output '{c.output_name}' is {output.type}, expected float32"
            )
        size = _feature_size(output.shape)
        if size != c.action_size:
            shown = str(size) if size is not None else _describe_shape(output.shape)
            raise PolicyLoadError(
                self.path,
                f"model output '{c.output_name}' has size {shown} but the contract has "
                f"{c.action_size} joints",
            )

    def act(self, observation: np.ndarray) -> np.ndarray:
        """Raw action for one observation: (observation_size,) -> (n,), both float32.

        The action is unscaled and unclipped; `contract.joint_targets` turns it into PD
        targets. Non-finite values pass through for the caller to handle.
        """
        obs = np.asarray(observation, dtype=np.float32)
        if obs.shape != (self.contract.observation_size,):
            raise ValueError(
                f"observation: expected shape ({self.contract.observation_size},), got {obs.shape}"
            )
        (out,) = self._session.run(
            [self.contract.output_name], {self.contract.input_name: obs.reshape(self._input_shape)}
        )
        return np.asarray(out, dtype=np.float32).reshape(self.contract.action_size)
