"""The before/after tools of benchmarks/ (pair_panel.py, smile_teeth.py,
smiling_emotions.py) check out ``--before REV`` in a git worktree."""

import pytest


def test_a_revision_git_does_not_know_is_one_clear_line_not_a_traceback():
    from pair_panel import worktree

    with pytest.raises(SystemExit) as stop:
        with worktree("no-such-revision-0123"):
            pass
    message = str(stop.value)
    assert "--before 'no-such-revision-0123'" in message and "give a commit, tag or branch" in message
    assert "\n" not in message
