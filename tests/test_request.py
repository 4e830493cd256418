"""One job for every front end: the request, its stored form, and how its
messages name the user's files."""

from pathlib import Path

import pytest

from emoface.errors import Field, File, InputError
from emoface.options import MotionOptions, RenderOptions
from emoface.request import GenerateRequest


def test_a_stored_request_reads_back_the_same_in_its_folder(tmp_path):
    job = tmp_path / "job"
    request = GenerateRequest(job / "image.png", job / "result.mp4", job / "audio.wav", text="hello there",
                              motion=MotionOptions(emotion="sad", intensity=0.4, fps=30),
                              render=RenderOptions(max_side=640), track=job / "result.csv",
                              names={str(job / "image.png"): "me.jpg"})
    spec = request.to_json(job)
    assert spec["image"] == "image.png" and spec["names"] == {"image.png": "me.jpg"}
    moved = tmp_path / "elsewhere"
    back = GenerateRequest.from_json(spec, moved)
    assert back.image == moved / "image.png" and back.track == moved / "result.csv" and back.glb is None
    assert (back.motion, back.render, back.text) == (request.motion, request.render, "hello there")
    assert back.names == {str(moved / "image.png"): "me.jpg"}


def test_messages_name_files_as_the_user_gave_them_and_fields_in_the_front_ends_words(tmp_path):
    stored = tmp_path / "jobs" / "image.png"
    request = GenerateRequest(stored, tmp_path / "o.mp4", names={str(stored): "noface.png"})
    err = InputError(File(stored), ": no face found; see ", Field("face"))
    assert str(err) == f"{stored}: no face found; see --face"  # the CLI: the path and the flag
    assert err.path == str(stored)
    assert request.message(err, {"face": "Face"}) == "noface.png: no face found; see Face"
    # A path spelt differently (as a str with ./) is still the same file.
    assert GenerateRequest(stored, Path("o.mp4"), names={f"{tmp_path}/./jobs/image.png": "x.png"}).message(
        InputError(File(stored), ": gone")) == "x.png: gone"


def test_a_bad_track_path_is_refused_before_any_work(tmp_path, portrait_png):
    from emoface.errors import EmofaceError
    from emoface.request import run_request

    for track, words in ((tmp_path / "curves.bvh", "unknown motion format"),
                         (tmp_path / "no" / "curves.csv", "does not exist")):
        request = GenerateRequest(portrait_png, tmp_path / "o.mp4", say="Hi.", track=track)
        with pytest.raises(EmofaceError, match=words):
            run_request(request)
        assert not (tmp_path / "o.mp4").exists()
