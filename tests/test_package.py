"""The package's front door: cheap to import, every public name reachable."""

import subprocess
import sys

import pytest


def _loaded_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("statement", ["import emoface", "from emoface.motion import MotionTrack",
                                       "from emoface import MotionTrack, combine, EmofaceError"])
def test_importing_the_motion_api_loads_no_opencv_scipy_or_renderer(statement):
    heavy = {"cv2", "scipy", "emoface.render.portrait", "emoface.pipeline", "mediapipe"}
    assert not heavy & _loaded_after(statement)


def test_every_public_name_resolves_and_render_stays_the_function():
    import emoface
    from emoface.render.portrait import PortraitRenderer  # loading the renderer's package...

    assert PortraitRenderer and callable(emoface.render)  # ...does not hide emoface.render()
    assert emoface.render.__module__ == "emoface.pipeline"
    for name in emoface.__all__:
        assert getattr(emoface, name) is not None
    with pytest.raises(AttributeError):
        emoface.no_such_name  # noqa: B018
