"""Many ``generate`` jobs from one CSV, on a process pool or a Ray cluster.

One row per job: ``image``, ``audio`` or ``text`` (words for the built-in
voice, the ``--say`` path), ``output`` (an .mp4), and any other column named
after a generate option (``emotion``, ``intensity``, ``seed``, ``size``...);
an empty cell means the option's default. Relative paths are read from the
CSV's folder. Every row is checked before anything renders, so a bad CSV
costs one line and writes nothing.

Reruns resume: beside each output a manifest ``<output>.emoface.json``
records a digest of what the job read (the bytes of every input file, the
text, the options, emoface's version) and of the mp4 it wrote; a job whose
output and manifest still match is skipped, one whose inputs changed is
rendered again. Outputs are the same bytes on the pool and on Ray: the
same function renders both, and the encoder and the voice are seeded and
pinned, not left to the machine.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EmofaceError, Field, File, InputError, ModelError, OptionError
from ..media.atomic import atomic_path
from ..options import MotionOptions, RenderOptions, option_types, split
from ..progress import Progress, quiet
from ..sources import IMAGE_SUFFIXES, TRACK_SUFFIXES, VIDEO_SUFFIXES

#: The columns that are not generate options.
JOB_COLUMNS = ("image", "audio", "text", "output")
MANIFEST_SUFFIX = ".emoface.json"
#: Options whose value may name a file (layer sources, a .json emotion
#: timeline, the face model): read from the CSV's folder, hashed, shipped.
FILE_OPTIONS = ("mouth_from", "eyes_from", "expression_from", "pose_from", "emotion", "face_model")
_FILE_SUFFIXES = VIDEO_SUFFIXES | IMAGE_SUFFIXES | TRACK_SUFFIXES | {".task"}
#: Thread pools a worker's libraries start, capped so that N workers do not
#: run N x cores threads between them.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
#: Each generate option's cell type.
_KINDS = option_types(MotionOptions, RenderOptions)
#: Messages name options as their columns, and these inputs by the columns
#: that give them: ``text`` is the words to speak (generate's ``say``); a
#: recording's transcript is read from beside it.
_COLUMN_NAMES = {"say": "text", "text": "a .txt beside the audio"}


@dataclass(frozen=True)
class Job:
    """One checked row: what to read, what to write, and the options given."""

    row: int  # the spreadsheet's row number (the header is row 1)
    output: Path
    image: Path
    audio: Path | None = None
    say: str | None = None
    transcript: str | None = None  # of ``audio``: its .txt, read up front
    options: dict[str, Any] = field(default_factory=dict)  # typed values, files excepted
    files: dict[str, Path] = field(default_factory=dict)  # file-valued options

    def inputs(self) -> dict[str, Path]:
        """Every file the job reads, by role (image, audio, option name)."""
        named = {"image": self.image, "audio": self.audio}
        return {**{k: v for k, v in named.items() if v is not None}, **self.files}

    def moved(self, paths: dict[str, Path], output: Path) -> Job:
        """The same job reading its inputs from ``paths`` (by role), writing ``output``."""
        return dataclasses.replace(self, image=paths["image"], audio=paths.get("audio"), output=output,
                                   files={k: paths[k] for k in self.files})

    def digest(self) -> str:
        """sha256 of everything the output depends on (file bytes, not paths)."""
        from .. import __version__

        spec = {"emoface": __version__, "say": self.say, "transcript": self.transcript,
                "options": self.options, "files": {k: _input_sha256(p) for k, p in self.inputs().items()}}
        return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True)
class JobResult:
    """How one job went: ``state`` is done, skipped or failed (with ``error``)."""

    row: int
    output: Path
    state: str
    seconds: float = 0.0
    error: str | None = None


def _input_sha256(path: Path) -> str:
    """An input's sha256, read once per batch however many jobs share it."""
    st = path.stat()
    return _sha256_of(path, st.st_mtime_ns, st.st_size)


@functools.lru_cache(maxsize=256)
def _sha256_of(path: Path, mtime_ns: int, size: int) -> str:  # noqa: ARG001 - the cache key
    return _sha256(path)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- reading and checking the CSV ------------------------------------------------

def _columns(header: list[str] | None, where: str) -> list[str]:
    """The header's column names (``head-motion`` reads as ``head_motion``); unknown ones are errors."""
    if not header:
        raise InputError(f"{where}: no header row; the first row names the columns "
                         f"({', '.join(JOB_COLUMNS)} and any generate option)")
    names = [h.strip().lower().replace("-", "_") for h in header]
    known = set(JOB_COLUMNS) | set(_KINDS)
    for i, name in enumerate(names):
        if name not in known:
            raise OptionError(f"{where}, row 1, column {header[i].strip()!r}: unknown column; use "
                              f"{', '.join(JOB_COLUMNS)} or a generate option ({', '.join(sorted(_KINDS))})")
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise OptionError(f"{where}, row 1: column {doubled[0]} appears twice; keep one")
    for need in ("image", "output"):
        if need not in names:
            raise InputError(f"{where}: no {need} column; every job needs an image and an output")
    if "audio" not in names and "text" not in names:
        raise InputError(f"{where}: no audio or text column; every job needs speech or words to speak")
    return names


def _file(folder: Path, cell: str) -> Path:
    path = Path(cell).expanduser()
    return path if path.is_absolute() else folder / path


def _typed(name: str, cell: str, kind: type, folder: Path) -> Any:
    """A cell as its option's type; a file-valued option's file resolved
    against ``folder`` (a Path; every other value is a str, int or float)."""
    if name in FILE_OPTIONS and Path(cell).suffix.lower() in _FILE_SUFFIXES:
        path = _file(folder, cell).resolve()
        if not path.is_file():  # every row is checked before the first renders
            raise InputError(Field(name), " ", File(path), ": file not found; check the path")
        return path
    try:
        return kind(cell)
    except ValueError:
        raise OptionError(f"{cell!r} is not {'an integer' if kind is int else 'a number'}") from None


def _row_options(cells: dict[str, str], folder: Path, at: str) -> tuple[dict[str, Any], dict[str, Path]]:
    """(options, file options) of a row, each checked alone and then together."""
    kinds = _KINDS
    values: dict[str, Any] = {}
    for name, cell in cells.items():
        if name in JOB_COLUMNS or not cell:
            continue
        try:
            values[name] = _typed(name, cell, kinds[name], folder)
            split(_as_given(values, name), MotionOptions, RenderOptions)
        except EmofaceError as err:
            raise OptionError(f"{at}, column {name}: {err.named(_COLUMN_NAMES)}") from None
    try:
        split(_as_given(values), MotionOptions, RenderOptions)
    except EmofaceError as err:
        raise OptionError(f"{at}: {err.named(_COLUMN_NAMES)}") from None
    files = {k: v for k, v in values.items() if isinstance(v, Path)}
    return {k: v for k, v in values.items() if k not in files}, files


def _as_given(values: dict[str, Any], only: str | None = None) -> dict[str, Any]:
    """Option values as the option dataclasses take them (paths as str)."""
    return {k: str(v) if isinstance(v, Path) else v for k, v in values.items() if only in (None, k)}


def _row_job(cells: dict[str, str], row: int, folder: Path, at: str) -> Job:
    from ..pipeline import transcript

    if not cells.get("image"):
        raise InputError(f"{at}, column image: empty; give the portrait's path")
    image = _file(folder, cells["image"])
    if not image.is_file():
        raise InputError(f"{at}, column image: {image}: file not found; check the path")
    audio_cell, say = cells.get("audio", ""), cells.get("text", "")
    if bool(audio_cell) == bool(say.strip()):
        raise InputError(f"{at}: give exactly one of audio (a recording) or text (words to speak)")
    audio = _file(folder, audio_cell) if audio_cell else None
    if audio is not None and not audio.is_file():
        raise InputError(f"{at}, column audio: {audio}: file not found; check the path")
    out_cell = cells.get("output", "")
    output = _file(folder, out_cell)
    if not out_cell or output.suffix.lower() != ".mp4" or output.is_dir():
        raise InputError(f"{at}, column output: {out_cell!r}: name the video to write, ending in .mp4")
    options, files = _row_options(cells, folder, at)
    try:
        words = transcript(None, audio) if audio is not None else None
    except EmofaceError as err:
        raise InputError(f"{at}, column audio: {err.named(_COLUMN_NAMES)}") from None
    return Job(row, output.resolve(), image.resolve(), audio.resolve() if audio else None,
               say or None, words, options, {k: p.resolve() for k, p in files.items()})


def read_jobs(csv_path: str | Path) -> list[Job]:
    """Read and check every row of a jobs CSV; nothing is rendered.

    Raises
    ------
    InputError, OptionError
        Every bad row, in one line: each problem naming the file, the row
        and the column, so one edit of the CSV fixes them all.
    """
    path = Path(csv_path)
    if not path.is_file():
        raise InputError(f"{path}: jobs file not found; check the path")
    jobs: list[Job] = []
    seen: dict[Path, int] = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        names = _columns(next(reader, None), str(path))
        problems: list[EmofaceError] = []
        for cells in reader:
            row, at = reader.line_num, f"{path}, row {reader.line_num}"
            if not any(c.strip() for c in cells):
                continue
            try:
                if len(cells) > len(names):
                    raise InputError(f"{at}: {len(cells)} cells but {len(names)} columns; quote cells "
                                     "holding commas")
                job = _row_job(dict(zip(names, (c.strip() for c in cells))), row, path.parent, at)
                if job.output in seen:
                    raise InputError(f"{at}, column output: {job.output} is row {seen[job.output]}'s output "
                                     "too; give each job its own")
            except EmofaceError as err:
                problems.append(err)
                continue
            seen[job.output] = row
            jobs.append(job)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more: " + "; ".join(str(p) for p in problems[1:]) + ")" \
            if len(problems) > 1 else ""
        raise type(first)(f"{first}{more}")
    if not jobs:
        raise InputError(f"{path}: no jobs; add a row per video under the header")
    return jobs


# --- resuming ----------------------------------------------------------------------

def manifest_path(output: Path) -> Path:
    return output.with_name(output.name + MANIFEST_SUFFIX)


def is_done(job: Job, digest: str) -> bool:
    """Whether ``job.output`` is the one these inputs made (and is intact)."""
    try:
        seen = json.loads(manifest_path(job.output).read_text())
        return seen.get("inputs") == digest and seen.get("output_sha256") == _sha256(job.output)
    except (OSError, ValueError, AttributeError):
        return False


def _write_manifest(job: Job, digest: str) -> None:
    from .. import __version__

    record = {"emoface": __version__, "inputs": digest, "output_sha256": _sha256(job.output), "row": job.row}
    with atomic_path(manifest_path(job.output)) as tmp:
        tmp.write_text(json.dumps(record, indent=1) + "\n")


# --- rendering: the one job function, and the two ways to run it -----------------

def render_job(job: Job, names: dict[str, str] | None = None) -> tuple[float, str | None]:
    """Render one job (in a worker); returns (seconds, error or None). Never
    raises. ``names``: the job's files as the user gave them, by the paths
    it reads and writes here."""
    from ..processes import RunSettings
    from ..request import GenerateRequest, run_request

    # A worker has its share of the cores: frames render on that many
    # threads, and the motion is not forked off beside the portrait.
    run = RunSettings(threads=max(1, int(os.environ.get(_THREAD_VARS[0], "1"))), overlap_motion=False)
    start = time.perf_counter()
    request = GenerateRequest(job.image, job.output, job.audio, job.say, job.transcript, names=names or {})
    try:
        motion, render = split(_as_given({**job.options, **job.files}), MotionOptions, RenderOptions)
        run_request(dataclasses.replace(request, motion=motion, render=render), run=run)
        error = None
    except EmofaceError as err:
        error = request.message(err, _COLUMN_NAMES)
    except Exception as err:  # noqa: BLE001 - one job's bug must not stop the batch
        error = f"internal error: {err.__class__.__name__}: {err}"
    return time.perf_counter() - start, error and " ".join(error.split())


def render_shipped(job: Job, roles: tuple[str, ...], *blobs: bytes) -> tuple[float, str | None, bytes | None]:
    """:func:`render_job` on a machine that may not share the driver's disk:
    the inputs come as bytes (by role) and the mp4 goes back as bytes."""
    from ..processes import keep_frame_buffers

    keep_frame_buffers()  # a Ray worker runs our jobs: set its heap as the CLI's is
    with tempfile.TemporaryDirectory(prefix="emoface-job-") as tmp:
        paths = {}
        for role, blob in zip(roles, blobs):
            paths[role] = Path(tmp) / f"{role}{job.inputs()[role].suffix.lower()}"
            paths[role].write_bytes(blob)
        out = Path(tmp) / "out" / job.output.name
        out.parent.mkdir()
        # Messages name the user's files, not these copies.
        names = {str(local): str(job.inputs()[role]) for role, local in paths.items()}
        seconds, error = render_job(job.moved(paths, out), {**names, str(out): str(job.output)})
        return seconds, error, None if error else out.read_bytes()


def _worker_init(threads: int) -> None:
    import cv2

    from ..processes import keep_frame_buffers

    cv2.setNumThreads(threads)
    keep_frame_buffers()  # a spawned worker's entry: its heap is ours to set


@contextlib.contextmanager
def _thread_env(threads: int) -> Iterator[dict[str, str]]:
    """Thread caps in the environment while workers start (they read it on import)."""
    env = {name: str(threads) for name in _THREAD_VARS}
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


Run = Iterator[tuple[Job, float, str | None]]


def _on_pool(jobs: list[Job], workers: int, threads: int) -> Run:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Spawned, not forked: the parent may hold threads (ONNX, MediaPipe, Ray) a fork would copy mid-flight.
    with _thread_env(threads), ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                                   initializer=_worker_init, initargs=(threads,)) as pool:
        futures = {pool.submit(render_job, job): job for job in jobs}
        try:
            for fut in as_completed(futures):
                try:
                    seconds, error = fut.result()
                except Exception as err:  # noqa: BLE001 - a worker that died (killed, out of memory)
                    seconds, error = 0.0, f"worker died: {err.__class__.__name__}: {err}"
                yield futures[fut], seconds, error
        finally:
            pool.shutdown(cancel_futures=True)


def _on_ray(jobs: list[Job], workers: int, threads: int, address: str) -> Run:
    try:
        import ray
    except ImportError:
        raise ModelError("--ray needs Ray: pip install 'emoface[batch]'") from None
    started = not ray.is_initialized()
    if started:
        import logging

        where = {"num_cpus": workers} if address == "local" else {"address": address}
        try:
            ray.init(**where, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
        except (ConnectionError, ValueError, RuntimeError) as err:
            raise OptionError(f"--ray {address}: cannot start or reach Ray ({err}); give `local` or the "
                              "address of a running cluster (ray://HOST:10001)") from None
    try:
        task = ray.remote(render_shipped).options(
            num_cpus=1, runtime_env={"env_vars": {name: str(threads) for name in _THREAD_VARS}})
        shipped: dict[Path, Any] = {}  # one upload per distinct file (a portrait shared by 100 jobs)
        refs = {}
        for job in jobs:
            for path in job.inputs().values():
                if path not in shipped:
                    shipped[path] = ray.put(path.read_bytes())
            refs[task.remote(job, tuple(job.inputs()), *(shipped[p] for p in job.inputs().values()))] = job
        while refs:
            (ref,), _ = ray.wait(list(refs), num_returns=1)
            job = refs.pop(ref)
            try:
                seconds, error, data = ray.get(ref)
            except Exception as err:  # noqa: BLE001 - a task or node that died; its last line says why
                last = (str(err).strip().splitlines() or [""])[-1]
                seconds, error, data = 0.0, f"ray task failed: {err.__class__.__name__}: {last}", None
            if data is not None:
                with atomic_path(job.output) as tmp:
                    tmp.write_bytes(data)
            yield job, seconds, error and " ".join(error.split())
    finally:
        if started:
            ray.shutdown()


def run_batch(csv_path: str | Path, *, workers: int | None = None, ray: str | None = None,
              progress: Progress = quiet) -> list[JobResult]:
    """Render every job of a jobs CSV; finished jobs are skipped.

    Parameters
    ----------
    csv_path : the jobs CSV (see the module docstring for its columns)
    workers : jobs rendered at once (default: one per core, at most the jobs to do)
    ray : None for a process pool on this machine; ``"local"`` to start Ray
        here (``workers`` CPUs); otherwise the address of a Ray cluster
        (``ray://HOST:10001``), which runs as many jobs at once as it has CPUs
    progress : hook, called as ``progress("jobs", finished, total)``

    Returns
    -------
    One JobResult per job, in the CSV's order. A job that fails does not
    stop the others; a bad CSV raises before anything renders.

    The pool's workers are spawned, so a script calling this needs the
    ``if __name__ == "__main__":`` guard (multiprocessing's rule).
    """
    jobs = read_jobs(csv_path)
    if workers is not None and workers < 1:
        raise OptionError(f"--workers {workers}: give 1 or more")
    digests = {job.row: job.digest() for job in jobs}
    results = {job.row: JobResult(job.row, job.output, "skipped") for job in jobs if is_done(job, digests[job.row])}
    todo = [job for job in jobs if job.row not in results]
    progress("jobs", len(results), len(jobs))
    if todo:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
        n = min(workers or cores, len(todo))
        threads = max(1, cores // n) if ray in (None, "local") else 1
        for job in todo:
            job.output.parent.mkdir(parents=True, exist_ok=True)
        runs = _on_pool(todo, n, threads) if ray is None else _on_ray(todo, n, threads, ray)
        for job, seconds, error in runs:
            if error is None:
                _write_manifest(job, digests[job.row])
            results[job.row] = JobResult(job.row, job.output, "failed" if error else "done", seconds, error)
            progress("jobs", len(results), len(jobs))
    return [results[job.row] for job in jobs]


def format_table(results: list[JobResult], base: Path | None = None) -> str:
    """The results as an aligned text table: row, output, state, seconds, error."""
    def shown(path: Path) -> str:
        with contextlib.suppress(ValueError):
            return str(path.relative_to(base or Path.cwd()))
        return str(path)

    rows = [("row", "output", "state", "seconds", "error")]
    rows += [(str(r.row), shown(r.output), r.state, f"{r.seconds:.1f}" if r.state != "skipped" else "-",
              r.error or "") for r in results]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    return "\n".join(("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[4]).rstrip() for r in rows)


__all__ = ["Job", "JobResult", "format_table", "read_jobs", "render_job", "run_batch"]
