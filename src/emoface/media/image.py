"""Read portraits: jpg/png/webp/..., EXIF rotation honoured, always RGB uint8."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import File, InputError

MAX_PIXELS = 8192 * 8192


def load_image(path: str | Path) -> np.ndarray:
    """Read an image as RGB uint8, shape (H, W, 3).

    Grayscale is expanded to RGB; transparency is composited over white.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(File(path), ": image file not found; check the path")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(path) as im:
            # Pillow only refuses beyond twice its limit (it warns between): check the header ourselves.
            if im.size[0] * im.size[1] > MAX_PIXELS:
                raise Image.DecompressionBombError(im.size)
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                im = Image.alpha_composite(bg, rgba)
            rgb = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except Image.DecompressionBombError:
        raise InputError(File(path), f": image is larger than {MAX_PIXELS // 10**6} megapixels; "
                         "downscale it") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise InputError(File(path), f": cannot read image ({err.__class__.__name__}); "
                         "give a jpg, png or webp portrait") from None
    if min(rgb.shape[:2]) < 32:
        raise InputError(File(path), f": image is {rgb.shape[1]}x{rgb.shape[0]}, too small; "
                         "give a portrait at least 128 pixels across")
    return np.ascontiguousarray(rgb)
