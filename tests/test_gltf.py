"""The animated glTF face: valid, named, animated, textured, compact."""

import json
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from emoface.export.gltf_face import build_glb
from emoface.motion import ARKIT_NAMES

HERE = Path(__file__).parent


def _parse(data: bytes):
    magic, version, total = struct.unpack("<III", data[:12])
    assert magic == 0x46546C67 and version == 2 and total == len(data)
    n = struct.unpack("<I", data[12:16])[0]
    doc = json.loads(data[20:20 + n])
    return doc, data[20 + n + 8:]


def _read(doc, blob, index):
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype = {5126: np.float32, 5123: np.uint16, 5125: np.uint32}[acc["componentType"]]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[acc["type"]]
    a = np.frombuffer(blob, dtype, acc["count"] * width, view["byteOffset"]).reshape(acc["count"], width)
    return a / 65535.0 if acc.get("normalized") else a


def _validate(path):
    r = subprocess.run(["node", str(HERE / "gltf_validate.js"), str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def talk(tmp_path_factory, librivox_wav):
    from emoface.media.audio import load_audio
    from emoface.pipeline import make_track

    return make_track(load_audio(librivox_wav))


@pytest.fixture(scope="module")
def glb(tmp_path_factory, talk, astronaut, astronaut_face):
    path = tmp_path_factory.mktemp("glb") / "face.glb"
    path.write_bytes(build_glb(talk, astronaut, astronaut_face.landmarks))
    return path


@pytest.mark.slow
def test_the_khronos_validator_finds_no_errors(glb, talk, tmp_path):
    report = _validate(glb)
    assert report["errors"] == 0 and report["warnings"] == 0, report["messages"]
    plain = tmp_path / "plain.glb"
    plain.write_bytes(build_glb(talk))
    assert _validate(plain)["errors"] == 0


def test_52_named_targets_and_an_animation_as_long_as_the_speech(glb, talk):
    doc, blob = _parse(glb.read_bytes())
    face = doc["meshes"][0]
    assert face["extras"]["targetNames"] == list(ARKIT_NAMES)
    assert all(len(p["targets"]) == 52 for p in face["primitives"])
    anim = doc["animations"][0]
    times = _read(doc, blob, anim["samplers"][0]["input"])[:, 0]
    assert times[-1] == pytest.approx((len(talk) - 1) / talk.fps, abs=1e-4)
    weights = _read(doc, blob, anim["samplers"][0]["output"]).reshape(len(times), 52)
    jaw = weights[:, ARKIT_NAMES.index("jawOpen")]
    assert np.allclose(jaw, talk.channel("jawOpen"), atol=1e-4)
    assert jaw.max() > 0.3 and jaw.min() < 0.05  # the jaw opens and closes
    paths = {c["target"]["path"] for c in anim["channels"]}
    assert paths == {"weights", "rotation", "translation"}


def test_the_jaw_target_opens_the_mouth_and_the_photo_is_the_texture(glb):
    doc, blob = _parse(glb.read_bytes())
    prim = doc["meshes"][0]["primitives"][0]
    jaw = doc["accessors"][prim["targets"][ARKIT_NAMES.index("jawOpen")]["POSITION"]]
    sparse = jaw["sparse"]
    idx = np.frombuffer(blob, np.uint32, sparse["count"], doc["bufferViews"][sparse["indices"]["bufferView"]]["byteOffset"])
    val = np.frombuffer(blob, np.float32, sparse["count"] * 3,
                        doc["bufferViews"][sparse["values"]["bufferView"]]["byteOffset"]).reshape(-1, 3)
    chin = val[list(idx).index(152)]
    assert chin[1] < -0.005  # metres: the chin drops over half a centimetre
    assert sparse["count"] < 468  # sparse: only what moves
    image = doc["images"][0]
    import cv2

    png = blob[doc["bufferViews"][image["bufferView"]]["byteOffset"]:][:doc["bufferViews"][image["bufferView"]]["byteLength"]]
    tex = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert tex.shape[0] == tex.shape[1] >= 512 and tex.std() > 20  # a picture, not a flat colour


@pytest.mark.slow
def test_export_3d_from_the_cli_and_its_mistakes(tmp_path, capsys, alsa_wav, portrait_png):
    from emoface.cli import run

    csv = tmp_path / "m.csv"
    assert run(["--quiet", "blendshapes", "--audio", str(alsa_wav), "-o", str(csv)]) == 0
    out = tmp_path / "f.glb"
    assert run(["--quiet", "export-3d", "--motion", str(csv), "--image", str(portrait_png), "-o", str(out)]) == 0
    assert _validate(out)["errors"] == 0
    assert run(["--quiet", "export-3d", "--motion", str(csv), "-o", str(tmp_path / "f.obj")]) == 2
    assert "name the output OUT.glb" in capsys.readouterr().err
    assert run(["--quiet", "export-3d", "--motion", str(tmp_path / "none.csv"), "-o", str(out)]) == 2
    assert "motion file not found" in capsys.readouterr().err


def test_a_long_track_stays_compact(talk):
    from emoface.motion import MotionTrack

    long = MotionTrack(talk.fps, np.tile(talk.coefficients, (40, 1)), np.tile(talk.pose, (40, 1)))
    size = len(build_glb(long))
    # 16-bit weights: about 104 bytes a frame of 52 weights, plus the pose.
    assert size < 200_000 + len(long) * (52 * 2 + 16 + 12 + 4) * 1.05


@pytest.mark.slow
def test_generate_writes_the_video_and_the_3d_face_of_the_same_motion(tmp_path, alsa_wav, portrait_png):
    from emoface.pipeline import generate

    res = generate(portrait_png, alsa_wav, output=tmp_path / "t.mp4", glb=tmp_path / "t.glb")
    doc, blob = _parse((tmp_path / "t.glb").read_bytes())
    weights = _read(doc, blob, doc["animations"][0]["samplers"][0]["output"]).reshape(len(res.track), 52)
    assert np.allclose(weights, res.track.coefficients, atol=1e-4)
    assert "images" in doc


@pytest.mark.slow
def test_three_js_loads_it_and_the_jaw_moves_with_the_speech(glb, talk):
    r = subprocess.run(["node", str(HERE / "three_glb.js"), str(glb)], capture_output=True, text=True, timeout=180)
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert "error" not in out, out
    assert out["names"] == 52 and out["textured"]
    assert out["duration"] == pytest.approx((len(talk) - 1) / talk.fps, abs=1e-3)
    jaw = np.array(out["jaw"])
    times = np.linspace(0, out["duration"], len(jaw))
    expect = np.interp(times, np.arange(len(talk)) / talk.fps, talk.channel("jawOpen"))
    assert np.ptp(jaw) > 0.3  # it animates
    assert np.corrcoef(jaw, expect)[0, 1] > 0.95  # and opens where the speech opens


@pytest.mark.slow
def test_a_preview_video_of_the_3d_face_opens_its_mouth_with_the_speech(tmp_path, alsa_wav, portrait_png):
    from emoface.cli import run
    from emoface.export import load_track
    from emoface.media.audio import load_audio
    from emoface.media.video import open_video

    csv = tmp_path / "m.csv"
    assert run(["--quiet", "blendshapes", "--audio", str(alsa_wav), "-o", str(csv)]) == 0
    out, video = tmp_path / "f.glb", tmp_path / "f.mp4"
    assert run(["--quiet", "export-3d", "--motion", str(csv), "--image", str(portrait_png), "-o", str(out),
                "--preview-3d", str(video), "--audio", str(alsa_wav)]) == 0
    info, frames = open_video(video)
    frames = [f.astype(np.float32) for f in frames]
    track = load_track(csv)
    assert info.size == (512, 512) and abs(len(frames) - len(track)) <= 1
    assert abs(load_audio(video).duration - len(track) / track.fps) < 0.1
    # Where the jaw is open the mouth region is darker than where it is shut.
    jaw = track.channel("jawOpen")[: len(frames)]
    mouth = np.array([f[300:360, 216:296].mean() for f in frames])
    assert mouth[jaw > 0.3].mean() < mouth[jaw < 0.05].mean() - 5
    assert run(["--quiet", "export-3d", "--motion", str(csv), "-o", str(out), "--preview-3d",
                str(tmp_path / "f.avi")]) == 2


def test_generate_refuses_a_3d_output_with_the_wrong_suffix_before_any_work(tmp_path, capsys, alsa_wav, portrait_png):
    from emoface.cli import run

    out = tmp_path / "t.mp4"
    assert run(["--quiet", "generate", "--image", str(portrait_png), "--audio", str(alsa_wav), "-o", str(out),
                "--glb", str(tmp_path / "t.gltf")]) == 2
    assert "--glb writes a .glb file" in capsys.readouterr().err and not out.exists()
    assert run(["--quiet", "generate", "--image", str(portrait_png), "--audio", str(alsa_wav), "-o", str(out),
                "--preview-3d", str(tmp_path / "p.mov")]) == 2
    assert "--preview-3d writes an .mp4" in capsys.readouterr().err and not out.exists()
