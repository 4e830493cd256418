"""Blind panels: real frames and renders mixed, numbered, the key kept apart.

A viewer who has seen neither the key nor the code marks each tile real or
generated and rates how natural it looks (1-5); :func:`score` reads the
answers against the key. Sheets, keys and answers live in docs/panels/.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import cv2
import numpy as np

PANELS = Path(__file__).resolve().parents[1] / "docs" / "panels"
TILE = 256
COLUMNS = 4


def make_panel(name: str, real: list[np.ndarray], made: list[np.ndarray], seed: int = 0,
               labels: list[str] | None = None) -> Path:
    """Write ``docs/panels/<name>.png`` (tiles shuffled and numbered from 1)
    and ``<name>_key.json``; returns the sheet's path. Tiles are RGB.
    ``labels`` (one per tile, real then made) go into ``<name>_labels.json``:
    what each tile shows, for panels that ask the viewer to name it."""
    PANELS.mkdir(parents=True, exist_ok=True)
    tiles = [(t, "real") for t in real] + [(t, "generated") for t in made]
    order = np.random.default_rng(seed).permutation(len(tiles))
    cells = []
    for number, k in enumerate(order, 1):
        tile = cv2.resize(np.ascontiguousarray(tiles[k][0]), (TILE, TILE), interpolation=cv2.INTER_AREA)
        tile = cv2.copyMakeBorder(tile, 28, 4, 4, 4, cv2.BORDER_CONSTANT, value=(255, 255, 255))
        cv2.putText(tile, str(number), (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
        cells.append(tile)
    while len(cells) % COLUMNS:
        cells.append(np.full_like(cells[0], 255))
    rows = [np.concatenate(cells[i:i + COLUMNS], axis=1) for i in range(0, len(cells), COLUMNS)]
    sheet = PANELS / f"{name}.png"
    cv2.imwrite(str(sheet), cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))
    key = {str(n): tiles[k][1] for n, k in enumerate(order, 1)}
    (PANELS / f"{name}_key.json").write_text(json.dumps(key, indent=1) + "\n")
    if labels is not None:
        named = {str(n): labels[k] for n, k in enumerate(order, 1)}
        (PANELS / f"{name}_labels.json").write_text(json.dumps(named, indent=1) + "\n")
    return sheet


def score(name: str, answers: str) -> dict[str, float]:
    """Read a viewer's answers (lines like ``7: real, 4``) against the key:
    the share of renders taken for real and the mean ratings of each kind."""
    key = json.loads((PANELS / f"{name}_key.json").read_text())
    said = {m[1]: (m[2].lower(), int(m[3])) for m in
            re.finditer(r"(?m)^\D*(\d+)\D+?(real|generated)\D+?([1-5])", answers)}
    made = [n for n, kind in key.items() if kind == "generated" and n in said]
    real = [n for n, kind in key.items() if kind == "real" and n in said]
    return {"renders taken for real": float(np.mean([said[n][0] == "real" for n in made])) if made else float("nan"),
            "real taken for real": float(np.mean([said[n][0] == "real" for n in real])) if real else float("nan"),
            "render rating": float(np.mean([said[n][1] for n in made])) if made else float("nan"),
            "real rating": float(np.mean([said[n][1] for n in real])) if real else float("nan"),
            "answered": len(said) / len(key)}


def score_named(name: str, answers: str, words: tuple[str, ...]) -> dict[str, float]:
    """Read answers that also name what each tile shows (lines like
    ``7: happy, real, 4``, the name one of ``words``) against the labels:
    :func:`score`'s figures and the share of renders and of real tiles
    named as labelled."""
    key = json.loads((PANELS / f"{name}_key.json").read_text())
    labels = json.loads((PANELS / f"{name}_labels.json").read_text())
    pattern = r"(?mi)^\D*(\d+)\W+(" + "|".join(words) + r")\b"
    named = {m[1]: m[2].lower() for m in re.finditer(pattern, answers)}
    out = score(name, answers)
    for kind in ("generated", "real"):
        tiles = [n for n, k in key.items() if k == kind and n in named]
        out[f"{'renders' if kind == 'generated' else 'real'} named right"] = (
            float(np.mean([named[n] == labels[n] for n in tiles])) if tiles else float("nan"))
    return out
