"""Where shipped files live."""

from __future__ import annotations

from pathlib import Path

from legkit import REPO_ROOT

MODELS_DIR = REPO_ROOT / "models"


def resolve_model(path: str | Path) -> Path:
    """A policy path as given, or a bare file name looked up in the shipped models/ folder."""
    p = Path(path)
    if p.is_absolute() or p.exists() or len(p.parts) > 1:
        return p
    return MODELS_DIR / p
