"""Small ONNX files for tests, built with the onnx helper API.

`write_linear_model` writes ``output = input @ weight`` with chosen names, sizes and
shapes, optionally with a contract in its metadata, so each test can build exactly the
(in)consistent file it is about.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from legkit.policy.contract import CONTRACT_METADATA_KEY, PolicyContract


def write_linear_model(
    path: Path,
    *,
    obs_size: int,
    action_size: int,
    contract: PolicyContract | None = None,
    input_name: str = "obs",
    output_name: str = "actions",
    batch_dim: int | str | None = 1,
    weight: np.ndarray | None = None,
) -> Path:
    """Write a one-MatMul model; `batch_dim=None` makes 1-D input and output tensors.

    The contract, if given, is put into the metadata as-is (no consistency checks), so
    a test can pair a model with a contract that disagrees with it.
    """
    if weight is None:
        weight = np.zeros((obs_size, action_size), dtype=np.float32)
    if batch_dim is None:
        # MatMul of a 1-D vector with a matrix gives a 1-D vector.
        in_shape, out_shape = [obs_size], [action_size]
    else:
        in_shape, out_shape = [batch_dim, obs_size], [batch_dim, action_size]
    graph = helper.make_graph(
        nodes=[helper.make_node("MatMul", [input_name, "weight"], [output_name])],
        name="linear",
        inputs=[helper.make_tensor_value_info(input_name, TensorProto.FLOAT, in_shape)],
        outputs=[helper.make_tensor_value_info(output_name, TensorProto.FLOAT, out_shape)],
        initializer=[numpy_helper.from_array(weight.astype(np.float32), "weight")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    if contract is not None:
        entry = model.metadata_props.add()
        entry.key = CONTRACT_METADATA_KEY
        entry.value = contract.to_json()
    onnx.save(model, str(path))
    return path


def write_model_for(
    path: Path, contract: PolicyContract, *, embed: bool = True, **overrides: object
) -> Path:
    """A model whose input and output fit `contract`, unless `overrides` (keyword
    arguments of `write_linear_model`) say otherwise; `embed=False` leaves the contract out.
    """
    kwargs: dict[str, object] = {
        "obs_size": contract.observation_size,
        "action_size": contract.action_size,
        "contract": contract if embed else None,
        "input_name": contract.input_name,
        "output_name": contract.output_name,
    }
    kwargs.update(overrides)
    return write_linear_model(path, **kwargs)  # type: ignore[arg-type]
