"""Benchmark tools given what they cannot use: the before/after tools
(pair_panel.py, smile_teeth.py, smiling_emotions.py) check out ``--before
REV`` in a git worktree; pair_panel.py, reenact_eval.py and reenact_probes.py take names."""

import pytest


def test_a_revision_git_does_not_know_is_one_clear_line_not_a_traceback():
    from pair_panel import worktree

    with pytest.raises(SystemExit) as stop:
        with worktree("no-such-revision-0123"):
            pass
    message = str(stop.value)
    assert "--before 'no-such-revision-0123'" in message and "give a commit, tag or branch" in message
    assert "\n" not in message


@pytest.mark.parametrize("script, args, what", [
    ("pair_panel", ["sheet", "--before", "HEAD", "--portraits", "franck,nobody"],
     "--portraits nobody: no such portrait"),
    ("reenact_probes", ["--clips", "franck_110", "nowhere"], "--clips nowhere: no such clip"),
    ("reenact_eval", ["--clips", "nowhere", "--no-write"], "--clips nowhere: no such clip"),
])
def test_a_name_the_tool_does_not_know_is_one_clear_line(script, args, what, monkeypatch, capsys):
    """An unknown portrait or clip stops the tool before any work, naming it
    and what there is to choose from (an unknown clip once ran nothing and
    wrote a table of NaNs)."""
    import importlib
    import sys

    tool = importlib.import_module(script)
    monkeypatch.setattr(sys, "argv", [script, *args])
    with pytest.raises(SystemExit) as stop:
        tool.main()
    assert stop.value.code == 2
    said = capsys.readouterr().err.strip().splitlines()[-1]
    assert what in said and "give some of" in said


def test_a_portrait_can_be_an_image_file(tmp_path, monkeypatch):
    """Besides the named portraits, any image file: the PsychoPy speaker's
    closed mouth (a soft, compressed video frame) is in no list."""
    import sys

    import cv2
    import numpy as np
    import pair_panel
    import skimage.data

    photo = tmp_path / "face.png"
    cv2.imwrite(str(photo), cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR))
    out = tmp_path / "tiles.npz"
    monkeypatch.setattr(sys, "argv", ["pair_panel", "--tiles", str(out), "--kind", "speech",
                                      "--portraits", str(photo)])
    pair_panel.main()
    tiles = np.load(out)["tiles"]
    assert tiles.shape == (2, pair_panel.SIDE, pair_panel.SIDE, 3)  # jawOpen 0.3 and 0.5
    assert np.abs(tiles[0].astype(int) - tiles[1]).mean() > 1  # the mouth opened further
