"""Speed and memory of audio -> MotionTrack (``emoface blendshapes``).

Runs the real CLI in a subprocess on real speech (LibriVox clips from
pocketsphinx-testdata, repeated to length) and reports wall time as a
multiple of real time and the subprocess's peak memory, for each lip-sync
mode on one minute, then the default mode on an hour. Appends to
docs/benchmarks.md (section "Audio to motion").

Run: make bench   (or: .venv/bin/python benchmarks/bench_lipsync.py [--minutes 60])
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sections import splice  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
SECTION = "## Audio to motion"


def speech(seconds: float, path: Path) -> None:
    """Write ``seconds`` of real speech (clips repeated) as 16 kHz mono wav, streamed."""
    clips = [sf.read(p, dtype="int16")[0] for p in sorted(LIBRIVOX.glob("*.wav"))]
    need = int(seconds * 16000)
    with sf.SoundFile(path, "w", 16000, 1, "PCM_16") as f:
        i = 0
        while need > 0:
            part = clips[i % len(clips)][:need]
            f.write(part)
            need -= len(part)
            i += 1


def run_cli(wav: Path, mode: str, seconds: float) -> dict[str, float]:
    exe = Path(sys.executable).with_name("emoface")
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "m.csv"
        cmd = [str(exe), "--quiet", "blendshapes", "--audio", str(wav), "--lipsync", mode,
               "--max-audio-seconds", str(seconds + 10), "-o", str(out)]
        # GNU time is not everywhere; a tiny wrapper reads the child's peak RSS.
        wrapper = ("import resource,subprocess,sys;r=subprocess.run(sys.argv[1:]);"
                   "print('PEAK',resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss);"
                   "sys.exit(r.returncode)")
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
        took = time.perf_counter() - t0
        if res.returncode != 0:
            raise SystemExit(f"blendshapes failed: {res.stderr.strip()}")
        peak_kb = int(re.search(r"PEAK (\d+)", res.stdout).group(1))
    return {"mode": mode, "seconds": seconds, "took": took, "x_realtime": seconds / took,
            "peak_mb": peak_kb / 1024}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60.0, help="length of the long run")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as d:
        minute = Path(d) / "minute.wav"
        speech(60, minute)
        for mode in ("auto", "acoustic"):
            rows.append(run_cli(minute, mode, 60))
            print(rows[-1], flush=True)
        long = Path(d) / "long.wav"
        speech(args.minutes * 60, long)
        rows.append(run_cli(long, "auto", args.minutes * 60))
        print(rows[-1], flush=True)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    lines = ["",
             f"`emoface blendshapes` end to end (decode, lip sync, eyes, head, CSV) on real speech, "
             f"measured by `benchmarks/bench_lipsync.py` on {machine}. Peak memory is the largest "
             "resident set of any one process (the main process; decoding workers are smaller).", "",
             "| lip sync | audio | wall time | x real time | peak memory |", "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['seconds'] / 60:.0f} min | {r['took']:.1f} s "
                     f"| {r['x_realtime']:.0f}x | {r['peak_mb']:.0f} MB |")
    splice(ROOT / "docs" / "benchmarks.md", SECTION, lines)


if __name__ == "__main__":
    main()
