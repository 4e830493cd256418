import pytest

from emoface.options import MotionOptions, RenderOptions, split
from emoface.errors import OptionError


@pytest.mark.parametrize("kw", [{"fps": 12}, {"fps": 61}, {"emotion": "elated"},
                                {"intensity": 1.5}, {"head_motion": -1}])
def test_motion_options_reject_bad_values(kw):
    with pytest.raises(OptionError) as err:
        MotionOptions(**kw)
    assert "use" in str(err.value)  # the message says what to do


def test_unknown_keys_are_errors_and_listed():
    with pytest.raises(OptionError, match="fpss; known: .*fps"):  # the known keys, to spot the typo
        split({"fpss": 30}, MotionOptions)
    with pytest.raises(OptionError, match="colour"):
        split({"fps": 30, "colour": 1}, MotionOptions, RenderOptions)
    m, r = split({"fps": 30, "size": 256}, MotionOptions, RenderOptions)
    assert m.fps == 30 and r.size == 256


def test_an_option_error_names_its_field_as_each_front_end_calls_it():
    import pickle

    with pytest.raises(OptionError) as caught:
        MotionOptions(head_motion=3)
    err = caught.value
    assert err.field == "head_motion"
    assert str(err) == "--head-motion 3 is out of range; use 0 to 2"  # the CLI's flag
    assert err.named() == "head_motion 3 is out of range; use 0 to 2"  # the REST API's key, the batch column
    assert err.named({"head_motion": "Head motion"}) == "Head motion 3 is out of range; use 0 to 2"  # the page
    # Raised in a worker process, it comes back with its field.
    back = pickle.loads(pickle.dumps(err))
    assert back.field == "head_motion" and back.named() == err.named() and str(back) == str(err)
    with pytest.raises(OptionError) as caught:
        MotionOptions(emotion="happy", emotion_text="calm")
    assert caught.value.named() == "give emotion or emotion_text, not both"


def test_render_options_bounds():
    with pytest.raises(OptionError):
        RenderOptions(size=64)
    with pytest.raises(OptionError):
        RenderOptions(face=-1)


@pytest.mark.parametrize("values, message", [
    ({"fps": "30"}, "--fps '30' is not a number"),
    ({"seed": 1.5}, "--seed 1.5 is not a whole number"),
    ({"head_motion": None}, "--head-motion None is not a number"),
    ({"emotion": 5}, "--emotion 5 is not text"),
    ({"max_side": True}, "--max-side True is not a whole number"),
])
def test_a_value_of_the_wrong_type_is_one_clear_line(values, message):
    """JSON bodies and Python callers can send any type."""
    with pytest.raises(OptionError) as err:
        split(values, MotionOptions, RenderOptions)
    assert str(err.value) == message


def test_whole_numbers_are_numbers():
    assert split({"fps": 30, "intensity": 1}, MotionOptions, RenderOptions)[0].fps == 30
