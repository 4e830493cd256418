import pytest

from emoface.options import MotionOptions, RenderOptions, build, split
from emoface.errors import OptionError


@pytest.mark.parametrize("kw", [{"fps": 12}, {"fps": 61}, {"emotion": "elated"},
                                {"intensity": 1.5}, {"head_motion": -1}])
def test_motion_options_reject_bad_values(kw):
    with pytest.raises(OptionError) as err:
        MotionOptions(**kw)
    assert "use" in str(err.value)  # the message says what to do


def test_unknown_keys_are_errors_and_listed():
    with pytest.raises(OptionError, match="fpss"):
        build(MotionOptions, {"fpss": 30})
    with pytest.raises(OptionError, match="colour"):
        split({"fps": 30, "colour": 1}, MotionOptions, RenderOptions)
    m, r = split({"fps": 30, "size": 256}, MotionOptions, RenderOptions)
    assert m.fps == 30 and r.size == 256


def test_render_options_bounds():
    with pytest.raises(OptionError):
        RenderOptions(size=64)
    with pytest.raises(OptionError):
        RenderOptions(face=-1)
