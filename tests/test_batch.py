"""`emoface batch`: a CSV of jobs on a process pool and on a local Ray
instance, with identical outputs; reruns skip finished jobs."""

import shutil

import numpy as np
import pytest
import soundfile as sf
from support import media

from emoface.app.batch import MANIFEST_SUFFIX, format_table, read_jobs, run_batch
from emoface.cli import run
from emoface.media.audio import load_audio

SMALL = "size,max_side"  # tiny renders: the tests run on 2 cores
JOBS = f"""image,audio,text,output,emotion,seed,{SMALL}
portrait.png,hello.wav,,out/a.mp4,,,128,320
portrait.png,,Hello there.,out/b.mp4,,2,128,320
portrait.png,other.wav,,out/c.mp4,happy,,128,320
"""


def _inputs(folder, portrait_png, alsa_wav):
    folder.mkdir(exist_ok=True)
    shutil.copy(portrait_png, folder / "portrait.png")
    shutil.copy(alsa_wav, folder / "hello.wav")
    shutil.copy(alsa_wav, folder / "other.wav")
    (folder / "jobs.csv").write_text(JOBS)
    return folder / "jobs.csv"


@pytest.fixture(scope="module")
def pooled(tmp_path_factory, alsa_wav):
    """The three jobs rendered once on the process pool, through the CLI."""
    import skimage.data
    from PIL import Image

    folder = tmp_path_factory.mktemp("pool")
    Image.fromarray(skimage.data.astronaut()).save(folder / "p.png")
    csv = _inputs(folder / "jobs", folder / "p.png", alsa_wav)
    assert run(["--quiet", "batch", str(csv), "--workers", "2"]) == 0
    return csv


def _states(results):
    return {r.output.name: r.state for r in results}


@pytest.mark.slow
def test_a_batch_renders_every_job_as_real_video_with_its_speech(pooled, alsa_wav):
    speech = load_audio(alsa_wav).duration
    for name in ("a", "b", "c"):
        out = pooled.parent / "out" / f"{name}.mp4"
        info = media.probe(out)
        assert "Video: h264" in info and "Audio: aac" in info and "320x" in info
        meta, frames = media.frames(out)
        assert abs(load_audio(out).duration - len(frames) / meta["fps"]) < 0.1
        if name != "b":  # b speaks its text with the built-in voice
            assert abs(len(frames) / meta["fps"] - speech) <= 1 / 25 + 1e-6
        assert (out.parent / (out.name + MANIFEST_SUFFIX)).is_file()
    a, c = (media.frames(pooled.parent / "out" / f"{n}.mp4")[1] for n in ("a", "c"))
    # Only the emotion differs, and it shows: measured 0.54 grey levels a
    # pixel over the whole frame (the face is a small part of it).
    assert np.abs(a[10].astype(int) - c[10].astype(int)).mean() > 0.3


@pytest.mark.slow
def test_a_rerun_skips_finished_jobs_and_a_changed_input_renders_again(pooled, tmp_path):
    folder = tmp_path / "moved"  # the manifests hash contents, not paths: a moved folder still resumes
    shutil.copytree(pooled.parent, folder)
    csv = folder / "jobs.csv"
    before = {p.name: p.read_bytes() for p in (folder / "out").glob("*.mp4")}
    results = run_batch(csv)
    assert _states(results) == {"a.mp4": "skipped", "b.mp4": "skipped", "c.mp4": "skipped"}
    samples, rate = sf.read(folder / "other.wav")
    sf.write(folder / "other.wav", samples[: len(samples) // 2], rate)  # c's speech changes
    results = run_batch(csv)
    assert _states(results) == {"a.mp4": "skipped", "b.mp4": "skipped", "c.mp4": "done"}
    assert (folder / "out" / "a.mp4").read_bytes() == before["a.mp4"]
    assert abs(load_audio(folder / "out" / "c.mp4").duration - len(samples) / 2 / rate) < 0.1
    (folder / "out" / "a.mp4").write_bytes(before["a.mp4"][:1000])  # a damaged output is redone
    assert _states(run_batch(csv))["a.mp4"] == "done"
    assert (folder / "out" / "a.mp4").read_bytes() == before["a.mp4"]  # the same bytes again


@pytest.mark.slow
def test_ray_gives_the_same_bytes_as_the_process_pool(pooled, tmp_path, capsys):
    pytest.importorskip("ray")
    csv = tmp_path / "jobs.csv"
    for name in ("portrait.png", "hello.wav", "other.wav", "jobs.csv"):
        shutil.copy(pooled.parent / name, tmp_path / name)
    # One worker: it renders all three in turn, where the pool spread them over two.
    assert run(["--quiet", "batch", str(csv), "--ray", "local", "--workers", "1"]) == 0
    table = capsys.readouterr().out
    assert table.count(" done ") == 3, table
    for name in ("a", "b", "c"):
        assert (tmp_path / "out" / f"{name}.mp4").read_bytes() == (pooled.parent / "out" / f"{name}.mp4").read_bytes()


@pytest.mark.slow
def test_a_workers_second_job_is_the_video_a_fresh_process_makes(pooled, tmp_path):
    """Nothing a render leaves behind in its process (OpenCV's random state:
    GrabCut) changes the next job: twins rendered in turn by one worker match."""
    for name in ("portrait.png", "hello.wav"):
        shutil.copy(pooled.parent / name, tmp_path / name)
    twin = "portrait.png,hello.wav,{},happy,128,320\n"
    (tmp_path / "jobs.csv").write_text(f"image,audio,output,emotion,{SMALL}\n" + twin.format("1.mp4") + twin.format("2.mp4"))
    assert [r.state for r in run_batch(tmp_path / "jobs.csv", workers=1)] == ["done", "done"]
    assert (tmp_path / "1.mp4").read_bytes() == (tmp_path / "2.mp4").read_bytes()
    assert (tmp_path / "1.mp4").read_bytes() == (pooled.parent / "out" / "c.mp4").read_bytes()


@pytest.mark.slow
def test_the_voice_is_the_same_for_the_same_seed():
    from emoface.media.tts import synthesize

    one, two, other = (synthesize("Hello there.", seed).audio.samples for seed in (0, 0, 1))
    assert np.array_equal(one, two)
    assert one.shape != other.shape or not np.array_equal(one, other)


BAD = {
    "a missing image": ("image,audio,output\nnope.png,hello.wav,x.mp4\n", "row 2, column image: "),
    "an unknown column": ("image,audio,output,colour\nportrait.png,hello.wav,x.mp4,red\n",
                          "row 1, column 'colour': unknown column"),
    "a bad option value": ("image,audio,output,intensity\nportrait.png,hello.wav,x.mp4,\n"
                           "portrait.png,hello.wav,y.mp4,3\n", "row 3, column intensity: intensity 3 is out of range"),
    "a number that is not one": ("image,audio,output,seed\nportrait.png,hello.wav,x.mp4,one\n",
                                 "row 2, column seed: 'one' is not an integer"),
    "both audio and text": ("image,audio,text,output\nportrait.png,hello.wav,Hi.,x.mp4\n",
                            "row 2: give exactly one of audio"),
    "neither audio nor text": ("image,audio,text,output\nportrait.png,,,x.mp4\n", "row 2: give exactly one of audio"),
    "an output that is not an mp4": ("image,audio,output\nportrait.png,hello.wav,x.avi\n",
                                     "row 2, column output: 'x.avi'"),
    "the same output twice": ("image,audio,output\nportrait.png,hello.wav,x.mp4\nportrait.png,hello.wav,x.mp4\n",
                              "row 3, column output: "),
    "a missing source video": ("image,audio,output,pose-from\nportrait.png,hello.wav,x.mp4,drive.mp4\n",
                               "row 2, column pose_from: pose_from "),
}


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_csv_is_one_line_naming_the_row_and_nothing_is_written(case, tmp_path, portrait_png, alsa_wav, capsys):
    body, expected = BAD[case]
    csv = _inputs(tmp_path / "jobs", portrait_png, alsa_wav)
    csv.write_text(body.replace("x.mp4", "out/x.mp4"))
    before = sorted(csv.parent.rglob("*"))
    assert run(["batch", str(csv)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"emoface: error: {csv}, ") and expected in err, err
    assert " --" not in err, err  # options are named as their columns, not as the CLI's flags
    assert sorted(csv.parent.rglob("*")) == before


def test_a_missing_jobs_file_is_one_line(tmp_path, capsys):
    assert run(["batch", str(tmp_path / "jobs.csv")]) == 2
    assert capsys.readouterr().err == f"emoface: error: {tmp_path / 'jobs.csv'}: jobs file not found; check the path\n"


def test_cells_are_typed_and_paths_read_from_the_csv_folder(tmp_path, portrait_png, alsa_wav):
    csv = _inputs(tmp_path / "jobs", portrait_png, alsa_wav)
    csv.write_text("image,audio,output,Head-Motion,seed,face,expression_from,emotion\n"
                   "portrait.png,hello.wav,out/x.mp4,0.5,3,0,portrait.png,\n")
    (job,) = read_jobs(csv)
    assert job.image == job.files["expression_from"] == (csv.parent / "portrait.png").resolve()
    assert job.options == {"head_motion": 0.5, "seed": 3, "face": 0}
    assert job.output == (csv.parent / "out" / "x.mp4").resolve() and job.say is None


@pytest.mark.slow
def test_a_job_that_fails_is_reported_and_the_others_finish(tmp_path, portrait_png, alsa_wav):
    from PIL import Image

    csv = _inputs(tmp_path / "jobs", portrait_png, alsa_wav)
    Image.fromarray(np.full((200, 200, 3), 128, np.uint8)).save(csv.parent / "wall.png")
    csv.write_text(f"image,audio,output,{SMALL}\nwall.png,hello.wav,out/wall.mp4,128,256\n"
                   "portrait.png,hello.wav,out/ok.mp4,128,256\n")
    results = run_batch(csv, workers=2)
    assert [r.state for r in results] == ["failed", "done"]
    assert "wall.png" in results[0].error and "face" in results[0].error
    assert not (csv.parent / "out" / "wall.mp4").exists() and (csv.parent / "out" / "ok.mp4").is_file()
    table = format_table(results, csv.parent).splitlines()
    assert table[0].split() == ["row", "output", "state", "seconds", "error"]
    assert table[1].split()[:3] == ["2", "out/wall.mp4", "failed"] and table[2].split()[:3] == ["3", "out/ok.mp4", "done"]
    assert run(["--quiet", "batch", str(csv)]) == 1  # a rerun redoes only the failed one, which fails again


def test_every_bad_row_is_reported_at_once(tmp_path, portrait_png, alsa_wav, capsys):
    csv = _inputs(tmp_path / "jobs", portrait_png, alsa_wav)
    csv.write_text("image,audio,output,intensity,seed\n"
                   "portrait.png,hello.wav,out/a.mp4,3,\n"
                   "portrait.png,hello.wav,out/b.mp4,,\n"
                   "nope.png,hello.wav,out/c.mp4,,\n"
                   "portrait.png,hello.wav,out/d.mp4,,one\n")
    assert run(["batch", str(csv)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "row 2, column intensity" in err and "and 2 more" in err
    assert "row 4, column image" in err and "row 5, column seed" in err and "row 3" not in err
