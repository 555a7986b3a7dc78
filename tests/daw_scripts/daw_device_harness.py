"""Run the Max for Live device's [js] under Node (max_harness.js) against the LiveAPI stand-in and
its patch (SemanticAudio.maxpat), and build the Live Sets it runs in."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEVICE_JS = HERE.parents[1] / "daw_scripts" / "ableton" / "semanticaudio.js"
DEVICE_PATCH = DEVICE_JS.with_name("SemanticAudio.maxpat")
RATE = 48000


def audio_track(slots: list | None = None, arrangement: list | None = None, **fields: Any) -> dict:
    """A track of the stand-in's Live Set: `fields` may make it MIDI (audio=False), a group
    (group=True) or frozen (frozen=True). Arrangement clips need their start_time."""
    base = {"name": "Audio", "audio": True, "slots": slots or [], "arrangement": arrangement or []}
    return base | fields


def live_set(**overrides: Any) -> dict:
    base = {"version": [12, 1, 5], "os": "windows", "scenes": 4, "device_track": 0,
            "current_song_time": 16.0, "tracks": [audio_track()]}
    return base | overrides


def clip(**fields: Any) -> dict:
    """An audio clip; unlooped, so its loop_start/loop_end are its start and end (as in the LOM:
    "for unlooped clips: clip start / clip end")."""
    base = {"file_path": "C:/Samples/door slam.wav", "start_marker": 0.5, "end_marker": 2.5,
            "warping": 0, "sample_rate": RATE, "sample_length": 3 * RATE, "is_audio_clip": 1,
            "start_time": 6.0, "end_time": 8.0, "name": "door", "length": 2.0, "looping": 0}
    base |= fields
    return {"loop_start": base["start_marker"], "loop_end": base["end_marker"]} | base


def run_device(
    steps: list[list[Any]], live: dict, tmp_path: Path, osc_port: int | None = None,
    timeout_s: float = 20.0, expect_errors: bool = False,
) -> dict:
    """Deliver `steps` to the device; with `osc_port`, over real UDP to an engine there.
    ["type", field, text] steps go in through the patch's [textedit] named `field`.
    An exception in the device's JS (in Max: an error in the Console, and the rest of that
    message's work undone) fails the run unless `expect_errors`; run["errors"] lists them."""
    scenario = tmp_path / "scenario.json"
    body = {"live": live, "patch": str(DEVICE_PATCH), "steps": steps}
    body |= {"osc_port": osc_port} if osc_port else {}
    scenario.write_text(json.dumps(body), encoding="utf-8")
    proc = subprocess.run(["node", str(HERE / "max_harness.js"), str(DEVICE_JS), str(scenario)],
                          capture_output=True, text=True, timeout=timeout_s, check=False)
    assert proc.returncode == 0, proc.stderr
    run = json.loads(proc.stdout)
    assert expect_errors or run["errors"] == [], f"the device's JS failed: {run['errors']}"
    return run


def sent(run: dict, address: str) -> list[list[Any]]:
    """OSC messages the device sent to [udpsend] with this address (without the address)."""
    return [out[2:] for out in run["outlets"] if out[0] == 0 and out[1] == address]


def statuses(run: dict) -> list[str]:
    return [out[2] for out in run["outlets"] if out[0] == 1]


def created_clips(run: dict, track: int = 0) -> list[dict]:
    """The clips create_audio_clip made on `track`, session slots first, then arrangement."""
    tracks = run["tracks"][track]
    return [c for c in [*tracks["slots"], *tracks["arrangement"]] if c and c.get("created")]
