"""Policy contract, observation builder and ONNX runner.

A policy is an ONNX file carrying a `PolicyContract`; `ObservationBuilder` builds its
input the same way in training and deployment, and `OnnxPolicy` runs it on the CPU.
"""

from legkit.policy.contract import (
    CONTRACT_METADATA_KEY,
    SCHEMA_VERSION,
    ContractError,
    PolicyContract,
    check_against_profile,
    contract_for_profile,
    embed_contract,
    mismatches,
    read_contract,
)
from legkit.policy.observation import (
    DEFAULT_QUADRUPED_TERMS,
    KNOWN_TERMS,
    ObservationBuilder,
    ObservationInputs,
    ObservationTerm,
    is_finite,
    make_layout,
)
from legkit.policy.runner import OnnxPolicy, PolicyLoadError

__all__ = [
    "CONTRACT_METADATA_KEY",
    "SCHEMA_VERSION",
    "ContractError",
    "PolicyContract",
    "check_against_profile",
    "contract_for_profile",
    "embed_contract",
    "mismatches",
    "read_contract",
    "DEFAULT_QUADRUPED_TERMS",
    "KNOWN_TERMS",
    "ObservationBuilder",
    "ObservationInputs",
    "ObservationTerm",
    "is_finite",
    "make_layout",
    "OnnxPolicy",
    "PolicyLoadError",
]
