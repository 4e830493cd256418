"""One video job as every front end gives it: the CLI, the page, the REST
service and batch each fill a :class:`GenerateRequest` and hand it to
:func:`run_request`, so the outputs beside the video and the way inputs are
named in messages are the same everywhere."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .options import MotionOptions, RenderOptions, split
from .processes import RunSettings
from .progress import Progress, quiet

if TYPE_CHECKING:
    import numpy as np

    from .pipeline import Result

_FILES = ("image", "audio", "output", "track", "glb")


@dataclass(frozen=True)
class GenerateRequest:
    """A portrait and speech in, a talking video (and its sidecars) out.

    ``names`` gives the inputs as the user knows them, by the path emoface
    reads them from: an upload stored as ``jobs/…/image.png`` is the user's
    ``me.jpg``. Messages name them so (:meth:`message`)."""

    image: str | Path | np.ndarray
    output: Path
    audio: Path | None = None
    say: str | None = None
    text: str | Path | None = None  # the transcript of ``audio``
    motion: MotionOptions = MotionOptions()
    render: RenderOptions = RenderOptions()
    track: Path | None = None  # the motion that was rendered (.csv: ARKit curves, .json, .npz)
    glb: Path | None = None  # the same motion on a 3D face
    preview: Path | None = None  # a video of that 3D face
    side_by_side: bool = False
    names: Mapping[str, str] = field(default_factory=dict)

    def message(self, err: Any, fields: Mapping[str, str] | None = None) -> str:
        """``err`` (an EmofaceError) in the front end's words: its fields as
        ``fields`` calls them and the inputs as the user named them."""
        # Keyed both as given and as a Path spells it: loaders name a file either way.
        files = {**{str(Path(k)): v for k, v in self.names.items()}, **self.names}
        return err.named(fields, files)

    def to_json(self, folder: Path) -> dict[str, Any]:
        """The request as JSON, its files relative to ``folder`` (a job's
        own folder, so a stored job can move with it)."""
        spec: dict[str, Any] = {k: str(Path(v).relative_to(folder)) for k in _FILES
                                if (v := getattr(self, k)) is not None}
        options = {**dataclasses.asdict(self.motion), **dataclasses.asdict(self.render)}
        names = {str(Path(k).relative_to(folder)): v for k, v in self.names.items()}
        return {**spec, "say": self.say, "text": self.text, "options": options, "names": names}

    @classmethod
    def from_json(cls, spec: Mapping[str, Any], folder: Path) -> GenerateRequest:
        """The request :meth:`to_json` stored, read back in ``folder``."""
        motion, render = split(dict(spec.get("options", {})), MotionOptions, RenderOptions)
        files = {k: folder / spec[k] for k in _FILES if spec.get(k) is not None}
        names = {str(folder / k): v for k, v in spec.get("names", {}).items()}
        return cls(**files, say=spec.get("say"), text=spec.get("text"), motion=motion, render=render,
                   names=names)


def run_request(request: GenerateRequest, *, progress: Progress = quiet, run: RunSettings = RunSettings(),
                motion_worker: Executor | None = None) -> Result:
    """Make what ``request`` asks for. Raises EmofaceError on a user's
    mistake (name it with :meth:`GenerateRequest.message`); nothing is left
    half written at any output."""
    from . import pipeline
    from .export import save_track, track_format
    from .media.atomic import check_writable

    if request.track is not None:  # before minutes of rendering, not after
        track_format(Path(request.track))
        check_writable(request.track)
    res = pipeline.generate(request.image, request.audio, output=request.output, say=request.say,
                            text=request.text, motion=request.motion, render=request.render, glb=request.glb,
                            preview=request.preview, side_by_side=request.side_by_side,
                            motion_worker=motion_worker, progress=progress, run=run)
    if request.track is not None:
        save_track(res.track, request.track)
    return res
