"""Real test media built from the evaluation speech, and a local HTTP server to fetch it from."""

from __future__ import annotations

import functools
import glob
import http.server
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import av
import numpy as np

from echome.media.audio import load_audio

SPEECH = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "speech"
LIBRIVOX = SPEECH / "librivox"
SPEAKERS = SPEECH / "speakers"


def librivox_clips() -> list[tuple[Path, str]]:
    wavs = sorted(LIBRIVOX.glob("*.wav"))
    assert wavs, f"evaluation speech missing at {LIBRIVOX}"
    return [(w, w.with_suffix(".txt").read_text().strip()) for w in wavs]


def speaker_clips(speaker: str) -> list[Path]:
    return sorted(Path(p) for p in glob.glob(str(SPEAKERS / speaker / "*.flac")))


def join(clips: Sequence[Path], *, gap: float = 0.6, rate: int = 16000) -> np.ndarray:
    silence = np.zeros(int(gap * rate), np.float32)
    parts: list[np.ndarray] = []
    for c in clips:
        parts += [load_audio(c, sample_rate=rate), silence]
    return np.concatenate(parts)


def write_mp4(path: Path, wav: np.ndarray, rate: int = 16000, *, video: bool = True) -> Path:
    """An MP4 with AAC audio (and a tiny black H.264/MPEG-4 video track, as a phone video has)."""
    with av.open(str(path), "w") as out:
        vstream = None
        if video:
            vstream = out.add_stream("mpeg4", rate=2)
            vstream.width, vstream.height, vstream.pix_fmt = 64, 48, "yuv420p"
        astream = out.add_stream("aac", rate=44100, layout="mono")
        resampler = av.AudioResampler(format=astream.format.name, layout="mono", rate=44100, frame_size=1024)
        frame = av.AudioFrame.from_ndarray(wav.astype(np.float32).reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = rate
        for f in resampler.resample(frame) + resampler.resample(None):
            for p in astream.encode(f):
                out.mux(p)
        for p in astream.encode(None):
            out.mux(p)
        if vstream is not None:
            black = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            for i in range(int(len(wav) / rate * 2) + 1):
                black.pts = i
                for p in vstream.encode(black.reformat(format="yuv420p")):
                    out.mux(p)
            for p in vstream.encode(None):
                out.mux(p)
    return path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients (yt-dlp probing) hang up mid-response; that is not a test failure


@contextmanager
def serve_dir(root: Path) -> Iterator[str]:
    """Serve `root` on 127.0.0.1; yields the base URL (no trailing slash)."""
    handler = functools.partial(_Quiet, directory=str(root))
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
