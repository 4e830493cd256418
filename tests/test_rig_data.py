"""The shipped rig data is what the build (scripts/build_rig.py, make rig)
would make of this code, judged on what the code does, not on its text;
without it the renderer falls back to the hand-made rig, and says so."""

import importlib.util
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from emoface.face import rig
from emoface.face.mesh import canonical_mesh
from emoface.face.rig import DATA_FILE, build_rig, default_rig
from emoface.motion import ARKIT_NAMES

ROOT = Path(__file__).resolve().parents[1]
STALE = ("src/emoface/face/rig_data.npz no longer matches what this code builds:\n{}\n"
         "run `make rig` and commit the new file")


@pytest.fixture(scope="module")
def build():
    """scripts/build_rig.py as a module."""
    spec = importlib.util.spec_from_file_location("build_rig", ROOT / "scripts" / "build_rig.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def recorded() -> dict:
    with np.load(DATA_FILE) as data:
        return dict(data)


@pytest.mark.slow
def test_rig_data_matches_what_the_build_inputs_do(build, recorded):
    off = build.check_mismatches(recorded, build.fingerprint())
    assert not off, STALE.format("\n".join(off))


def test_the_check_names_what_changed(build, recorded):
    now = dict(recorded)
    now["check_renders"] = recorded["check_renders"] + np.float16(2)  # a lid drawn 2 grey levels darker
    settings = json.loads(str(recorded["check_settings"]))
    settings["STEPS"] += 1
    now["check_settings"] = np.array(json.dumps(settings))
    off = build.check_mismatches(recorded, now)
    assert [line.split(":")[0] for line in off] == ["check_renders", "check_settings"]
    assert "STEPS changed" in off[1]
    # A file from before the fingerprint (it held a digest of the source text) is stale.
    old = {"rig": recorded["rig"], "names": recorded["names"], "code": np.array("0" * 64)}
    assert all("not recorded" in line for line in build.check_mismatches(old, now))


@pytest.mark.slow
def test_shipped_fields_are_what_stage_2_makes_now(build, recorded):
    """A few shapes rebuilt for real (the tuning portraits, MediaPipe's model
    run bare): each shipped field is the rebuilt one times stage 3's one scale.
    Needs what `make rig` installs and fetches."""
    pytest.importorskip("ai_edge_litert", reason="needs the rig extra: pip install -e '.[rig]' (make rig does)")
    from reenact_eval import CLIPS  # the jaw is shaped like the tune clips' mouths

    missing = [p.file for p in build.TUNE if p.file != "skimage" and not (build.CACHE / p.file).is_file()]
    missing += sorted({f"videos/{c.video}" for c in CLIPS if c.role == "tune"
                       and not (build.CACHE / "videos" / c.video).is_file()})
    if missing:
        pytest.skip(f"tuning portraits or clips {', '.join(missing)} missing: "
                    "run bash scripts/portraits.sh (make rig does)")
    assert list(recorded["portraits"]) == build.portrait_digests(), "the tuning portraits changed: run `make rig`"
    verts = canonical_mesh().vertices.astype(np.float64)
    hand = build_rig(verts).astype(np.float64)
    bs = build.Blendshapes()
    faces, base = build.tuning_faces(hand, bs)
    shipped = recorded["rig"].astype(np.float64)
    # The jaw, kept as real mouths' shape asks; a calibration not kept, scaled up; one kept whole.
    for name in ("jawOpen", "mouthPucker", "mouthSmileLeft"):
        k = ARKIT_NAMES.index(name)
        field = build.stage2_field(k, hand, verts, bs, faces, base)
        scale = float((shipped[k] * field).sum() / (field * field).sum())
        off = float(np.abs(shipped[k] - scale * field).max())
        assert off < 0.01 and 0.5 < scale < build.GAINS[-1] + 0.01, \
            STALE.format(f"{name}: rebuilt field off by {off:.3f} cm at scale {scale:.2f}")


def test_the_build_names_missing_tuning_inputs(build, tmp_path, monkeypatch):
    """Without the portraits, or the clips the jaw is shaped on, the build
    stops with one line that says what to run, before any work."""
    monkeypatch.setattr(build, "CACHE", tmp_path)
    with pytest.raises(SystemExit, match="missing portraits .*scripts/portraits.sh"):
        build.portraits()
    monkeypatch.setattr(build, "portrait_files", lambda: [])
    with pytest.raises(SystemExit, match=r"missing clips .*franck\.mp4.*scripts/portraits.sh"):
        build.portraits()


@pytest.fixture()
def fresh_default_rig():
    default_rig.cache_clear()
    yield
    default_rig.cache_clear()  # the next caller loads the shipped file again


def test_default_rig_warns_when_it_falls_back(tmp_path, monkeypatch, fresh_default_rig):
    path = tmp_path / "rig_data.npz"
    monkeypatch.setattr(rig, "DATA_FILE", path)
    with pytest.warns(UserWarning, match=r"rig_data\.npz: missing; .*run `make rig`"):
        fallback = default_rig()
    np.testing.assert_array_equal(fallback, build_rig(canonical_mesh().vertices))
    np.savez(path, rig=fallback[:3], names=np.array(ARKIT_NAMES[:3]))
    default_rig.cache_clear()
    with pytest.warns(UserWarning, match=r"rig_data\.npz: holds other shapes.*make rig"):
        default_rig()


def test_default_rig_reads_data_files_quietly(tmp_path, monkeypatch, recorded, fresh_default_rig):
    # The shipped file, and one in the old format (a source digest, no fingerprint).
    old = tmp_path / "rig_data.npz"
    np.savez(old, rig=recorded["rig"], names=recorded["names"], code=np.array("0" * 64))
    for path in (DATA_FILE, old):
        monkeypatch.setattr(rig, "DATA_FILE", path)
        default_rig.cache_clear()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            np.testing.assert_array_equal(default_rig(), recorded["rig"].astype(np.float32))
