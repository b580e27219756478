"""Clips written the way cameras write them, for browser tests and benchmarks.

x264's defaults (a keyframe every 250 frames, B-frames) are what a camera or a screen
recorder leaves; :func:`workbench.video.open_clip` normalises such a file once, as it would
a user's. The picture: a textured background sliding sideways, a face-sized ellipse moving
about, and the frame number burnt in (so a screenshot says which frame is on screen).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_camera_clip(path: Path, n_frames: int, fps: float, size: tuple[int, int] = (640, 480)) -> Path:
    """Write ``n_frames`` of ``size`` (width, height) at ``fps`` with libx264's default keyframe interval."""
    import av
    import cv2

    w, h = size
    rng = np.random.default_rng(0)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (h, 2 * w, 3), dtype=np.uint8), (0, 0), 3)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=int(round(fps)))
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"crf": "20", "preset": "veryfast"}  # x264 defaults otherwise: GOP 250, B-frames
        for i in range(n_frames):
            x = (i * 2) % w
            img = np.ascontiguousarray(texture[:, x : x + w])
            cx, cy = w // 2 + int(w * 0.19 * np.sin(i / 40)), h // 2 + int(h * 0.12 * np.cos(i / 55))
            cv2.ellipse(img, (cx, cy), (w // 7, h // 4), 0, 0, 360, (205, 170, 140), -1)
            cv2.putText(img, f"{i}", (20, h // 8), cv2.FONT_HERSHEY_SIMPLEX, h / 240, (255, 255, 255), 3)
            for pkt in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in stream.encode():
            out.mux(pkt)
    return path
