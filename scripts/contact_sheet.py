"""Write a PNG contact sheet of evenly spaced frames of a video.

Usage: python scripts/contact_sheet.py VIDEO OUT.png [--frames 8] [--crop x0,y0,x1,y1]
"""

from __future__ import annotations

import argparse

import cv2
import imageio_ffmpeg
import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("video")
    ap.add_argument("out")
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--crop", help="x0,y0,x1,y1 in pixels")
    ap.add_argument("--cols", type=int, default=4)
    a = ap.parse_args()
    reader = imageio_ffmpeg.read_frames(a.video)
    meta = next(reader)
    w, h = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader]
    picks = np.linspace(0, len(frames) - 1, a.frames).round().astype(int)
    tiles = []
    for i in picks:
        f = frames[i]
        if a.crop:
            x0, y0, x1, y1 = map(int, a.crop.split(","))
            f = f[y0:y1, x0:x1]
        f = np.ascontiguousarray(f)
        cv2.putText(f, f"{i / meta['fps']:.2f}s", (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 0), 1)
        tiles.append(f)
    rows = [np.concatenate(tiles[r:r + a.cols], axis=1) for r in range(0, len(tiles), a.cols)]
    cv2.imwrite(a.out, cv2.cvtColor(np.concatenate(rows, axis=0), cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
