"""sa-engine (tiny model, real UDP) refuses up front what would only fail later: every case
here used to be accepted and then fail with engine_error or internal_error, or to crash the
request's handling with internal_error."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.bridge.helpers import Engine, OscClient, tone, write_audio

FAST = "steps=2;synth_steps=2"


def replies_of(osc: OscClient, job_id: str, timeout_s: float = 30.0) -> list[tuple[str, list]]:
    """Every reply to `job_id` up to its /sa/error or /sa/done, progress left out."""
    seen: list[tuple[str, list[Any]]] = []

    def final(address: str, args: list[Any]) -> bool:
        if args[:1] == [job_id] and address != "/sa/progress":
            seen.append((address, args))
        return args[:1] == [job_id] and address in ("/sa/done", "/sa/error")

    osc.wait_for(final, timeout_s)
    return seen


@pytest.fixture(scope="module")
def sources(engine: Engine) -> dict[str, Path]:
    folder = engine.out_dir.parent
    fifo = folder / "fifo.wav"
    if not fifo.exists():
        os.mkfifo(fifo)
    return {
        "wav": write_audio(folder / "checks.wav", tone(3.0, 44100), 44100),
        "odd": write_audio(folder / "odd.wav", tone(2.0, 11025, channels=1), 11025),
        "fifo": fifo,
    }


def refusals(out_dir: str, sources: dict[str, Path]) -> list[tuple[str, tuple, str, str]]:
    """(address, arguments after job_id and reply_port, expected code, words)."""
    wav = str(sources["wav"])
    return [
        ("/sa/generate", ("rain", 1.0, "/" + "a" * 300, ""), "bad_path", "too long"),
        ("/sa/edit", ("/" + "b" * 300, 0.0, 1.0, "", "x", out_dir, ""), "bad_path", "too long"),
        ("/sa/generate", ("rain", 1.0, "/proc", FAST), "bad_path", "does not accept new files"),
        ("/sa/edit", (wav, 0.0, 1.0, "", "x", out_dir, "range=0.2:0.2000001"), "bad_region",
         "at least 0.08 s"),
        ("/sa/generate", ("rain " * 400, 1.0, out_dir, FAST), "bad_request",
         "2000 characters; the model takes at most 1000"),
        ("/sa/edit", (wav, 0.0, 1.0, "", "x", out_dir, "n_max=0"), "bad_option",
         "got n_min=1, n_max=0"),
        ("/sa/edit", ("/dev/null", 0.0, 1.0, "", "x", out_dir, ""), "bad_path", "device file"),
        ("/sa/edit", (str(sources["fifo"]), 0.0, 1.0, "", "x", out_dir, ""), "bad_path",
         "named pipe"),
        ("/sa/edit", (wav + "/", 0.0, 1.0, "", "x", out_dir, ""), "bad_path", "ends with '/'"),
        ("/sa/generate",
         ("rain", 5.0, out_dir, "variations=8;channels=32;sample_rate=192000;bit_depth=32"),
         "too_long", "245,760,000 samples"),
    ]


def test_requests_that_would_fail_later_are_refused_before_acceptance(
    osc: OscClient, engine: Engine, sources: dict[str, Path]
) -> None:
    if not Path("/proc/self").is_dir():
        pytest.skip("needs Linux's /proc")
    for index, (address, args, code, words) in enumerate(refusals(str(engine.out_dir),
                                                                  sources)):
        job_id = f"refused{index}"
        osc.send(address, job_id, osc.port, *args)
        ((reply, (_, got_code, message)),) = replies_of(osc, job_id, 10.0)  # nothing else
        assert (reply, got_code) == ("/sa/error", code), (address, args, message)
        assert words in message, message
    assert osc.ping()[0] == "1"


def test_edits_at_the_limits_run_to_the_end(
    osc: OscClient, engine: Engine, sources: dict[str, Path]
) -> None:
    """The documented minimum length at 11025 Hz, and a range ending at a float32 length_s
    that is longer than the audio at the model's rate."""
    length_s = float(np.float32(1.00003))
    cases = {
        "minlen": (str(sources["odd"]), 0.0, 0.5, f"{FAST};n_max=1;n_min=0"),
        "rangeend": (str(sources["wav"]), 0.0, length_s, f"{FAST};range=0.5:{length_s!r}"),
    }
    for job_id, (path, start_s, length, options) in cases.items():
        osc.send("/sa/edit", job_id, osc.port, path, start_s, length, "", "rain",
                 str(engine.out_dir), options)
        got = replies_of(osc, job_id)
        assert [address for address, _ in got] == ["/sa/accepted", "/sa/done"], got
