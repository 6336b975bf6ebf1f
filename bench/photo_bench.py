"""What a phone's photo costs on the wire and on the laptop (issue 15). Prints `metric=value` lines; never asserts.

A set of 12-megapixel JPEGs (4000 x 3000) is made with Pillow: a gradient, shapes and Gaussian noise (a photo's
sensor grain and texture are what make a phone's JPEG 4-8 MB; flat colour would compress to nothing and flatter
the ratio), half of them taken in portrait (EXIF orientation 6), all with GPS. Each goes through what attaching
does (`Store.add_photo`: the original copied in, the upload copy made and stored); then:

- `photo_upload_bytes_ratio`: the bytes sync sends (the upload copies) / the originals' bytes (target <= 0.15);
- `photo_prepare_ms_p50` / `_max`: making one upload copy (`make_upload_copy`: decode, orient, shrink, encode;
  target <= 300 ms), the part a worker thread does besides copying the file;
- `photo_attach_ms_p50`: the whole `Store.add_photo` (original copied and fsynced too);
- `photo_original_mb_mean`: the originals' mean size, to show the set resembles a phone's.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageDraw, ImageFilter

from inspector.core.store import Store
from inspector.core.upload_copy import make_upload_copy

WIDTH, HEIGHT = 4000, 3000
TILE = (1000, 750)  # noise is made per tile and tiled: as costly for JPEG as full-frame noise, 16 x cheaper to make


def phone_like_jpeg(seed: int, *, portrait: bool, taken: str = "2026:12:03 10:00:00") -> bytes:
    rng = random.Random(seed)
    gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
    base = Image.merge(
        "RGB", [gradient, gradient.transpose(Image.Transpose.ROTATE_90).resize((WIDTH, HEIGHT)), gradient.rotate(45)]
    )
    draw = ImageDraw.Draw(base)
    for _ in range(80):
        x, y, r = rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(40, 700)
        draw.rectangle((x, y, x + r, y + r // 2), fill=tuple(rng.randrange(256) for _ in range(3)))
    base = base.filter(ImageFilter.GaussianBlur(2))
    tile = Image.merge("RGB", [Image.effect_noise(TILE, 40 + 5 * c) for c in range(3)])
    noise = Image.new("RGB", (WIDTH, HEIGHT))
    for x in range(0, WIDTH, TILE[0]):
        for y in range(0, HEIGHT, TILE[1]):
            noise.paste(tile.rotate(180 * ((x + y) % 2)), (x, y))
    photo = Image.blend(base, noise, 0.3)
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Phone", "Model 12"
    exif[0x8769] = {36867: taken}
    exif[0x8825] = {1: "N", 2: (30.0, 35.0, 0.0), 3: "E", 4: (114.0, 18.0, 0.0)}
    if portrait:
        exif[0x0112] = 6
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="photo-bench-") as tmp:
        folder = Path(tmp) / "DCIM"
        folder.mkdir()
        paths = []
        for n in range(args.photos):
            path = folder / f"IMG_{n:04d}.jpg"
            path.write_bytes(phone_like_jpeg(n, portrait=n % 2 == 1))
            paths.append(path)
        prepare_ms = []
        for path in paths:
            started = time.perf_counter()
            make_upload_copy(path)
            prepare_ms.append((time.perf_counter() - started) * 1000)
        store = Store.open(Path(tmp) / "data")
        attach_ms = []
        sent = original = 0
        try:
            for path in paths:
                started = time.perf_counter()
                copy = store.add_photo(path)
                attach_ms.append((time.perf_counter() - started) * 1000)
                assert copy.original is not None and max(Image.open(store.attachment_path(copy.sha256)).size) <= 2048
                sent += copy.size
                original += store.attachment(copy.original).size
            pending = {a.sha256 for a in store.pending().attachments}
            assert all(store.attachment(sha).original is not None for sha in pending), "an original would be sent"
        finally:
            store.close()
    print(f"photo_count={len(paths)}")
    print(f"photo_original_mb_mean={original / len(paths) / 1e6:.2f}")
    print(f"photo_upload_bytes_ratio={sent / original:.3f}")
    print(f"photo_prepare_ms_p50={statistics.median(prepare_ms):.0f}")
    print(f"photo_prepare_ms_max={max(prepare_ms):.0f}")
    print(f"photo_attach_ms_p50={statistics.median(attach_ms):.0f}")


if __name__ == "__main__":
    main()
