"""`SemanticAudio - Edit selected items` and `... - Edit with preset` in Lua 5.4 against the REAPER
stand-in: the exact audible span goes out, the result comes back as a new active take."""

from __future__ import annotations

from pathlib import Path

import pytest

from .daw_reaper_harness import run_action, write_wav

TARGET = "a cat meows, far away"


def item(source: dict, *, position: float = 10.0, length: float = 2.0, startoffs: float = 0.0,
         playrate: float = 1.0, selected: bool = True, ppitch: int = 1) -> dict:
    return {"position": position, "length": length, "selected": selected,
            "takes": [{"name": "original", "startoffs": startoffs, "playrate": playrate,
                       "ppitch": ppitch, "source": source}]}


def one_item_project(tmp_path: Path, time_selection=(0.0, 0.0), **item_args) -> tuple[dict, str]:
    source_file = str(write_wav(tmp_path / "source file.wav", 6.0))
    project = {"time_selection": list(time_selection),
               "tracks": [{"name": "Dialog", "items": [item({"file": source_file}, **item_args)]}]}
    return project, source_file


def edit_result(tmp_path: Path, seconds: float, name: str = "edited.wav") -> dict:
    return {"result": {"ok": True, "paths": [str(write_wav(tmp_path / name, seconds))]}}


def test_edit_sends_the_audible_span_and_adds_an_active_take(tmp_path: Path) -> None:
    project, source_file = one_item_project(tmp_path, startoffs=0.5, playrate=1.5, ppitch=0)
    run = run_action("edit", {
        "project": project, "inputs": [["a dog barks", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 3.0) | {"progress": [[0.5, "edit"]]}]},
    }, tmp_path)

    assert run.data["dialogs"][0]["captions"] == [
        "Source prompt (optional)", "Target prompt", "Preset (optional)"]
    (process,) = run.processes
    assert process["command"] == "edit"
    assert process["timeout_ms"] == -1
    # 2 s of item at playrate 1.5 plays 3 s of source, from the take's 0.5 s start offset.
    assert process["args"] == [source_file, "--start", "0.5", "--length", "3.0", "--target",
                               TARGET, "--source", "a dog barks", "--out-dir",
                               str(tmp_path / "project-media")]
    (edited,) = run.tracks[0]["items"]
    assert edited["length"] == 2.0
    assert edited["position"] == 10.0
    original, new = edited["takes"]
    assert original["name"] == "original"
    assert original["file"] == source_file
    assert edited["active_take"] == 2
    assert new["name"] == TARGET
    assert new["file"] == str(tmp_path / "edited.wav")
    # The new file holds the 3 s span: at the same rate it fills the item exactly.
    assert new["playrate"] == 1.5
    assert new["startoffs"] == 0
    assert new["source_length_s"] == pytest.approx(edited["length"] * new["playrate"])
    assert new["ppitch"] == 0  # preserve-pitch follows the original take
    assert run.undo[0] == {"kind": "begin"}
    assert run.undo[1]["description"].startswith(
        "SemanticAudio: edit 1 item")
    assert len(run.undo) == 2
    assert run.message_boxes == []


def test_section_sources_add_the_section_offset(tmp_path: Path) -> None:
    source_file = str(write_wav(tmp_path / "long.wav", 8.0))
    section = {"section": {"offs": 1.25, "len": 4.0}, "parent": {"file": source_file}}
    project = {"tracks": [{"items": [item(section, length=2.0, startoffs=0.5)]}]}
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 2.0)]},
    }, tmp_path)
    args = run.processes[0]["args"]
    assert args[:5] == [source_file, "--start", "1.75", "--length", "2.0"]
    assert "--source" not in args  # empty source prompt: the null condition


def test_time_selection_inside_the_item_makes_a_region_edit(tmp_path: Path) -> None:
    # Item at 10..12 s playing at rate 2; the selection 10.5..11 s is 1..2 s of source.
    project, _ = one_item_project(tmp_path, time_selection=(10.5, 11.0), playrate=2.0,
                                  startoffs=1.0)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 4.0)]},
    }, tmp_path)
    args = run.processes[0]["args"]
    assert args[1:5] == ["--start", "1.0", "--length", "4.0"]
    assert args[args.index("--range") + 1: args.index("--range") + 3] == ["1.0", "2.0"]
    takes = run.tracks[0]["items"][0]["takes"]
    assert len(takes) == 2
    assert takes[1]["source_length_s"] == pytest.approx(4.0)


def test_each_selected_item_is_one_job_and_unfit_items_are_explained(tmp_path: Path) -> None:
    good = str(write_wav(tmp_path / "good.wav", 4.0))
    items = [
        item({"file": good}, position=0.0, length=1.0),
        item({"midi": True}, position=2.0),
        item({"section": {"offs": 0.0, "len": 4.0, "rev": True}, "parent": {"file": good}},
             position=4.0),
        item({"file": good}, position=8.0, length=5.0),  # loops past the 4 s file
        item({"file": good}, position=20.0, length=1.0, startoffs=2.0),
        item({"file": good}, position=30.0, selected=False),
    ]
    run = run_action("edit", {
        "project": {"tracks": [{"items": items}]}, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 1.0, "a.wav"),
                              {"result": {"ok": False, "code": "bad_audio",
                                          "message": "cannot decode good.wav"}}]},
    }, tmp_path)
    assert [p["args"][2] for p in run.processes] == ["0.0", "2.0"]  # --start of items 1 and 5
    tracks_items = run.tracks[0]["items"]
    assert len(tracks_items[0]["takes"]) == 2  # the first edit landed
    assert len(tracks_items[4]["takes"]) == 1  # the second failed: no take
    (box,) = run.message_boxes
    assert "cannot decode good.wav [bad_audio]" in box["msg"]
    assert "item 2 was skipped: it is a MIDI item" in box["msg"]
    assert "item 3 was skipped: its take is reversed" in box["msg"]
    assert "item 4 was skipped: it plays 0.000..5.000 s of a 4.000 s source" in box["msg"]
    assert [u["kind"] for u in run.undo] == ["begin", "end"]  # one undo point for the action


def test_engine_error_leaves_the_item_alone(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"result": {"ok": False, "code": "engine_error",
                                          "message": "CUDA out of memory"}}]},
    }, tmp_path)
    assert "CUDA out of memory [engine_error]" in run.message_boxes[0]["msg"]
    assert len(run.tracks[0]["items"][0]["takes"]) == 1
    assert run.undo == []


def test_cancel_during_an_edit_stops_and_keeps_the_original(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"hang": True, "progress": [[0.3, "edit"]]}]},
        "gfx_events": {4: "escape"},
    }, tmp_path)
    edit, cancel = run.processes
    assert cancel["command"] == "cancel"
    assert cancel["args"] == [edit["job_id"]]
    assert len(run.tracks[0]["items"][0]["takes"]) == 1
    assert run.undo == []
    assert run.message_boxes == []


def test_nothing_selected_is_explained(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path, selected=False)
    run = run_action("edit", {"project": project}, tmp_path)
    assert "Select one or more audio items" in run.message_boxes[0]["msg"]


PRESETS = {"ok": True, "presets": [
    {"name": "telephone", "kind": "generate", "description": "Landline phone"},
    {"name": "weather-change", "kind": "edit", "description": "Put the scene in rain"},
    {"name": "sound-removal", "kind": "edit", "description": "Remove a sound | keep the rest"},
]}


def test_edit_with_preset_offers_the_engines_edit_presets(tmp_path: Path) -> None:
    project, source_file = one_item_project(tmp_path)
    run = run_action("edit_preset", {
        "project": project, "menu": [2], "inputs": [["a busy street", ""]],
        "simulate": {"presets": [{"result": PRESETS}], "edit": [edit_result(tmp_path, 2.0)]},
    }, tmp_path)
    presets_call, edit = run.processes
    assert presets_call["command"] == "presets"
    assert presets_call["args"] == []
    (menu,) = run.data["gfx"]["menus"]
    assert menu.split("|") == ["weather-change: Put the scene in rain",
                               "sound-removal: Remove a sound / keep the rest"]
    assert run.data["dialogs"][0]["title"] == "SemanticAudio: edit with sound-removal"
    assert edit["args"] == [source_file, "--start", "0.0", "--length", "2.0", "--target", "",
                            "--source", "a busy street", "--preset", "sound-removal",
                            "--out-dir", str(tmp_path / "project-media")]
    new_take = run.tracks[0]["items"][0]["takes"][1]
    assert new_take["name"] == "sound-removal: a busy street"


def test_edit_with_preset_when_the_engine_is_down(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    down = {"ok": False, "code": "timeout",
            "message": "sa-engine at 127.0.0.1:9000 did not answer within 5 s"}
    run = run_action("edit_preset", {
        "project": project, "simulate": {"presets": [{"result": down}]},
    }, tmp_path)
    assert "did not answer within 5 s [timeout]" in run.message_boxes[0]["msg"]
    assert run.data["gfx"]["menus"] == []
    assert len(run.processes) == 1
