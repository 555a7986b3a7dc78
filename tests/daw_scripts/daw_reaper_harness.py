"""Run a REAPER action script in the real Lua 5.4 interpreter against the recording stand-in.

`run_action(name, scenario, tmp_path)` writes the scenario as a Lua table, runs
`lua5.4 run_action.lua SCENARIO SCRIPT OUT` and returns what the stand-in recorded
(`ActionRun`). Every run must leave REAPER's undo history whole: no undo block, or exactly one
Undo_BeginBlock2 ... Undo_EndBlock2 pair (the stand-in also refuses project changes outside a
block, nested blocks and blocks open across defer cycles), and no opened source left unused.
Scenario keys (all optional):

- project: {cursor, time_selection: [a, b], tracks: [{name, selected, items: [{position, length,
  selected, fadein, fadeout, active, takes: [{name, startoffs, playrate, ppitch, pitch, chanmode,
  vol, pan, stretch_markers, source}]}]}]}; a source is {file, length_s?} (length read from the
  WAV header), {section: {offs, len, rev}, parent: src} or {midi: True}.
- delete_items: {tick: [[track, item], ...]} items the user deletes at that defer cycle
  (1-based indexes into the track's items at that moment).
- change_items: {tick: [{track, item, set_item: {field: value}, set_take: {field: value}}]}
  changes the user makes at that defer cycle (trims an edge, changes the active take's playrate);
  fields as in project (position, length; startoffs, playrate, ...), indexes 1-based.
- split_fails: True makes every SplitMediaItem fail (return nil), as REAPER documents it may.
- inputs: answers to GetUserInputs in order (a list of field strings, or False for Cancel).
- menu: answers to gfx.showmenu; message_box_answers: answers to ShowMessageBox.
- simulate: {command: [spec, ...]} the scripted sa-client answer per invocation: progress
  [[fraction, stage], ...] (one per defer cycle), result {...} (the --result-file JSON),
  exit_code, stderr, hang (never finishes unless cancelled); "cancel": [{ignore: True}] makes
  the engine ignore cancels.
- gfx_events: {tick: "escape" | "close" | "click_cancel"}.
- mode: "simulate" (default) or "real" (ExecProcess really runs the script in the background).
- ext: {"SemanticAudio/key": value} ExtState at start; os: reaper.GetOS() ("Other" = Linux).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
REAPER_DIR = REPO / "daw_scripts" / "reaper"
ACTIONS = {
    "generate": "SemanticAudio - Generate at edit cursor.lua",
    "edit": "SemanticAudio - Edit selected items.lua",
    "edit_preset": "SemanticAudio - Edit with preset.lua",
    "status": "SemanticAudio - Engine status.lua",
    "settings": "SemanticAudio - Settings.lua",
}


def lua_literal(value: Any) -> str:
    """A Lua expression for a JSON-like Python value (None, bool, number, str, list, dict)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot write {value} as a Lua number")
        return repr(value)
    if isinstance(value, str):
        escaped = "".join(
            ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "\\" + str(ord(ch)).zfill(3)
            for ch in value.encode("utf-8").decode("latin-1")
        )
        return f'"{escaped}"'
    if isinstance(value, list | tuple):
        return "{" + ", ".join(lua_literal(v) for v in value) + "}"
    if isinstance(value, dict):
        pairs = (f"[{lua_literal(k)}] = {lua_literal(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    raise TypeError(f"cannot write {type(value).__name__} as Lua")


def write_wav(path: Path, seconds: float, sample_rate_hz: int = 48000, channels: int = 1) -> Path:
    """A short sine WAV file (PCM 24-bit) of exactly round(seconds * rate) frames."""
    frames = round(seconds * sample_rate_hz)
    t = np.arange(frames) / sample_rate_hz
    tone = 0.2 * np.sin(2 * np.pi * 440.0 * t).astype(np.float32)
    sf.write(path, np.stack([tone] * channels, axis=1), sample_rate_hz, subtype="PCM_24")
    return path


@dataclass(frozen=True)
class ActionRun:
    """What one run of an action did, as the stand-in recorded it."""

    data: dict[str, Any]

    def calls(self, fn: str) -> list[list[Any]]:
        """Argument lists of every call to reaper.<fn>, in order."""
        return [call["args"] for call in self.data["calls"] if call["fn"] == fn]

    def call_names(self) -> list[str]:
        return [call["fn"] for call in self.data["calls"]]

    @property
    def processes(self) -> list[dict[str, Any]]:
        return self.data["processes"]

    @property
    def message_boxes(self) -> list[dict[str, Any]]:
        return self.data["message_boxes"]

    @property
    def tracks(self) -> list[dict[str, Any]]:
        return self.data["tracks"]

    @property
    def undo(self) -> list[dict[str, Any]]:
        return self.data["undo"]


def default_scenario(tmp_path: Path) -> dict[str, Any]:
    resource = tmp_path / "reaper-resource"
    media = tmp_path / "project-media"
    resource.mkdir(exist_ok=True)
    media.mkdir(exist_ok=True)
    return {"resource_path": str(resource), "project_path": str(media), "mode": "simulate"}


def undo_problem(data: dict[str, Any]) -> str | None:
    """Why a run's undo history is broken, or None: a run makes no undo block or exactly one
    balanced Undo_BeginBlock2 ... Undo_EndBlock2 pair."""
    kinds = [entry["kind"] for entry in data["undo"]]
    if data["undo_open"] or kinds.count("begin") != kinds.count("end"):
        return f"unbalanced undo blocks (a begin without its end): {kinds}"
    if kinds not in ([], ["begin", "end"]):
        return f"one action must make at most one undo block, got {kinds}"
    return None


def run_action(
    action: str,
    scenario: dict[str, Any],
    tmp_path: Path,
    timeout_s: float = 60.0,
    env: dict[str, str] | None = None,
    allow_unfinished: bool = False,
) -> ActionRun:
    """Run the named action (a key of ACTIONS) in lua5.4 against the stand-in.

    `env` is added to this process's environment (the background scripts inherit it).
    `allow_unfinished`: a run still deferring after scenario["max_ticks"] cycles is stopped
    (its atexit functions run, as when REAPER terminates a script) instead of failing.
    """
    return run_script(REAPER_DIR / ACTIONS[action], scenario, tmp_path, timeout_s, env,
                      allow_unfinished)


def run_script(
    script: Path,
    scenario: dict[str, Any],
    tmp_path: Path,
    timeout_s: float = 60.0,
    env: dict[str, str] | None = None,
    allow_unfinished: bool = False,
) -> ActionRun:
    """Like `run_action`, for any Lua script (the stand-in's own tests use small ones)."""
    full = default_scenario(tmp_path) | scenario
    scenario_path = tmp_path / "scenario.lua"
    scenario_path.write_text("return " + lua_literal(full) + "\n", encoding="utf-8")
    out_path = tmp_path / "run.json"
    proc = subprocess.run(
        ["lua5.4", str(HERE / "run_action.lua"), str(scenario_path), str(script), str(out_path)],
        capture_output=True, text=True, timeout=timeout_s, check=False,
        env=os.environ | (env or {}),
    )
    if proc.returncode != 0 or not out_path.exists():
        raise AssertionError(f"lua5.4 failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(out_path.read_text(encoding="utf-8"))
    if data.get("error"):
        raise AssertionError(f"the action raised:\n{data['error']}")
    if data.get("timed_out") and not allow_unfinished:
        raise AssertionError(f"the action was still deferring after {data['ticks']} cycles")
    problem = undo_problem(data)
    if problem:
        raise AssertionError(f"the action broke REAPER's undo history: {problem}")
    if data["leaked_sources"]:
        raise AssertionError(f"sources opened but neither used nor destroyed: "
                             f"{data['leaked_sources']}")
    return ActionRun(data)
