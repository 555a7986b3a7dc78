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
    assert '"original" on track 1 at 0:02.000 was skipped: it is a MIDI item' in box["msg"]
    assert '"original" on track 1 at 0:04.000 was skipped: its take is reversed' in box["msg"]
    assert ('"original" on track 1 at 0:08.000 was skipped: it plays 0.000..5.000 s of a '
            '4.000 s source') in box["msg"]
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


# ------------------------------------------------------------------ undo, failures, cancel


def two_item_project(tmp_path: Path) -> dict:
    source_file = str(write_wav(tmp_path / "source file.wav", 6.0))
    items = [item({"file": source_file}, position=0.0), item({"file": source_file}, position=5.0)]
    return {"tracks": [{"name": "Dialog", "items": items}]}


def test_an_item_deleted_while_the_engine_worked_makes_no_undo_point(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    result = edit_result(tmp_path, 2.0)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]], "delete_items": {3: [[1, 1]]},
        "simulate": {"edit": [result | {"progress": [[0.2 * k, "edit"] for k in range(1, 6)]}]},
    }, tmp_path)
    assert run.tracks[0]["items"] == []
    assert run.undo == []
    (box,) = run.message_boxes
    assert "the item was deleted while the engine worked" in box["msg"]
    assert result["result"]["paths"][0] in box["msg"]  # the edit is not lost


def test_a_file_reaper_cannot_open_skips_its_item_and_the_rest_is_one_undo_point(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "missing.wav")
    run = run_action("edit", {
        "project": two_item_project(tmp_path), "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"result": {"ok": True, "paths": [missing]}},
                              edit_result(tmp_path, 2.0)]},
    }, tmp_path)
    first, second = run.tracks[0]["items"]
    assert len(first["takes"]) == 1
    assert len(second["takes"]) == 2
    assert [u["kind"] for u in run.undo] == ["begin", "end"]
    assert run.undo[1]["description"] == "SemanticAudio: edit 1 item(s)"
    (box,) = run.message_boxes
    assert missing in box["msg"]


def test_an_edit_whose_second_file_cannot_be_opened_adds_no_take(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    good = str(write_wav(tmp_path / "v1.wav", 2.0))
    bad = tmp_path / "v2.wav"
    bad.write_text("not audio", encoding="utf-8")
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"result": {"ok": True, "paths": [good, str(bad)]}}]},
    }, tmp_path)
    assert [t["name"] for t in run.tracks[0]["items"][0]["takes"]] == ["original"]
    assert run.undo == []
    assert f"REAPER could not open {bad}" in run.message_boxes[0]["msg"]


def test_cancel_after_some_items_finished_inserts_nothing_and_says_so(tmp_path: Path) -> None:
    finished = edit_result(tmp_path, 2.0)
    run = run_action("edit", {
        "project": two_item_project(tmp_path), "inputs": [["", TARGET, ""]],
        "gfx_events": {6: "escape"},
        "simulate": {"edit": [finished, {"hang": True}]},
    }, tmp_path)
    assert [p["command"] for p in run.processes] == ["edit", "edit", "cancel"]
    assert [len(i["takes"]) for i in run.tracks[0]["items"]] == [1, 1]
    assert run.undo == []
    (box,) = run.message_boxes
    assert box["msg"].startswith("Cancelled: nothing was inserted")
    assert finished["result"]["paths"][0] in box["msg"]


# ---------------------------------------------------------------- what the new take copies


def test_new_take_copies_channel_mode_volume_and_pan(tmp_path: Path) -> None:
    stereo = str(write_wav(tmp_path / "stereo.wav", 6.0, channels=2))
    source_item = item({"file": stereo})
    source_item["takes"][0] |= {"chanmode": 1, "vol": -0.5, "pan": -0.25, "pitch": 3}
    run = run_action("edit", {
        "project": {"tracks": [{"items": [source_item]}]}, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 2.0)]},
    }, tmp_path)
    original, new = run.tracks[0]["items"][0]["takes"]
    for key in ("chanmode", "vol", "pan", "pitch", "ppitch", "playrate"):
        assert new[key] == original[key], key
    assert new["chanmode"] == 1  # reverse stereo
    assert new["vol"] == -0.5  # -6 dB, polarity flipped
    assert new["pan"] == -0.25


@pytest.mark.parametrize(("channels", "chanmode", "refused"), [
    (2, 3, True),   # mono (left) of a stereo file: the right channel is not heard
    (2, 4, True),   # mono (right)
    (6, 7, True),   # one channel of a 6-channel file
    (2, 2, False),  # mono downmix: the engine hears the same mix
    (1, 3, False),  # "left" of a mono file is the whole file
])
def test_a_take_that_plays_only_some_channels_is_refused(
    channels: int, chanmode: int, refused: bool, tmp_path: Path
) -> None:
    path = str(write_wav(tmp_path / "multi.wav", 6.0, channels=channels))
    source_item = item({"file": path})
    source_item["takes"][0]["chanmode"] = chanmode
    run = run_action("edit", {
        "project": {"tracks": [{"items": [source_item]}]}, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 2.0)]},
    }, tmp_path)
    if refused:
        assert run.processes == []
        msg = run.message_boxes[0]["msg"]
        assert f"of its {channels}-channel source (take channel mode)" in msg
        assert "Glue" in msg
    else:
        assert len(run.processes) == 1
        assert run.tracks[0]["items"][0]["takes"][1]["chanmode"] == chanmode


def test_a_take_with_stretch_markers_is_refused(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    project["tracks"][0]["items"][0]["takes"][0]["stretch_markers"] = 2
    run = run_action("edit", {"project": project}, tmp_path)
    assert run.processes == []
    (box,) = run.message_boxes
    assert "its take has 2 stretch markers" in box["msg"]
    assert "remove them" in box["msg"]
    assert run.data["dialogs"] == []  # refused before asking anything


# ------------------------------------------------- the item changes while the engine works

SLOW_EDIT = {"progress": [[0.2 * k, "edit"] for k in range(1, 6)]}  # five defer cycles


def test_an_item_trimmed_while_the_engine_worked_gets_a_take_that_lines_up(
    tmp_path: Path,
) -> None:
    # Sent: 2 s of item from source second 0.5. Meanwhile the user trims 0.5 s off the left
    # edge: the item now plays source 1.0..2.5, which is 0.5..2.0 s into the edited file.
    project, _ = one_item_project(tmp_path, startoffs=0.5)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "change_items": {3: [{"track": 1, "item": 1, "set_item": {"position": 10.5, "length": 1.5},
                              "set_take": {"startoffs": 1.0}}]},
        "simulate": {"edit": [edit_result(tmp_path, 2.0) | SLOW_EDIT]},
    }, tmp_path)
    _original, new = run.tracks[0]["items"][0]["takes"]
    assert new["file"] == str(tmp_path / "edited.wav")
    assert new["startoffs"] == pytest.approx(0.5)
    assert new["playrate"] == 1.0
    assert run.message_boxes == []


def test_a_playrate_changed_while_the_engine_worked_is_followed(tmp_path: Path) -> None:
    # The user doubles the take's playrate (REAPER halves the item): the 2 s edit now plays in 1 s.
    project, _ = one_item_project(tmp_path)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "change_items": {3: [{"track": 1, "item": 1, "set_item": {"length": 1.0},
                              "set_take": {"playrate": 2.0}}]},
        "simulate": {"edit": [edit_result(tmp_path, 2.0) | SLOW_EDIT]},
    }, tmp_path)
    _original, new = run.tracks[0]["items"][0]["takes"]
    assert new["playrate"] == 2.0
    assert new["startoffs"] == 0
    assert run.message_boxes == []


def test_an_item_extended_past_what_was_sent_gets_no_take_and_keeps_the_file(
    tmp_path: Path,
) -> None:
    project, _ = one_item_project(tmp_path)
    result = edit_result(tmp_path, 2.0)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "change_items": {3: [{"track": 1, "item": 1, "set_item": {"length": 3.0}}]},
        "simulate": {"edit": [result | SLOW_EDIT]},
    }, tmp_path)
    assert [t["name"] for t in run.tracks[0]["items"][0]["takes"]] == ["original"]
    assert run.undo == []
    (box,) = run.message_boxes
    assert "was trimmed, extended or changed while the engine worked" in box["msg"]
    assert result["result"]["paths"][0] in box["msg"]  # the edit is not lost


def test_skipped_and_failed_items_are_named_so_the_user_can_find_them(tmp_path: Path) -> None:
    """Items cut from one recording share a file name; the selection order is invisible."""
    shared = str(write_wav(tmp_path / "scene 4.wav", 30.0))
    boom = item({"file": shared}, position=12.5)
    boom["takes"][0]["name"] = "scene 4 boom"
    lav = item({"file": shared}, position=12.5)
    lav["takes"][0] |= {"name": "scene 4 lav", "stretch_markers": 1}
    run = run_action("edit", {
        "project": {"tracks": [{"items": [boom]}, {"items": [lav]}]},
        "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"result": {"ok": False, "code": "bad_audio",
                                          "message": "cannot decode"}}]},
    }, tmp_path)
    (box,) = run.message_boxes
    boom_failed = 'Editing item "scene 4 boom" on track 1 at 0:12.500: cannot decode [bad_audio]'
    assert boom_failed in box["msg"]
    assert '"scene 4 lav" on track 2 at 0:12.500 was skipped: its take has 1 stretch' in box["msg"]


@pytest.mark.parametrize(("code", "message"), [
    ("no_engine", "nothing is listening at udp://127.0.0.1:9000; start it with `sa-engine`"),
    ("client_not_found", "The sa-client program \"sa-client\" was not found"),
])
def test_an_unreachable_engine_stops_the_edit_after_the_first_item(
    code: str, message: str, tmp_path: Path
) -> None:
    source_file = str(write_wav(tmp_path / "source file.wav", 6.0))
    items = [item({"file": source_file}, position=float(5 * k)) for k in range(4)]
    run = run_action("edit", {
        "project": {"tracks": [{"items": items}]}, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"result": {"ok": False, "code": code, "message": message}}]},
    }, tmp_path)
    assert len(run.processes) == 1  # nothing more is sent to an engine that is not there
    (box,) = run.message_boxes
    assert box["msg"].count(message) == 1
    assert "The 3 other items were not sent." in box["msg"]
    assert all(len(i["takes"]) == 1 for i in run.tracks[0]["items"])
    assert run.undo == []


def test_an_empty_item_is_skipped_and_named_by_track_and_position(tmp_path: Path) -> None:
    project, _ = one_item_project(tmp_path)
    empty = {"position": 2.0, "length": 1.0, "selected": True, "takes": []}
    project["tracks"][0]["items"].insert(0, empty)
    run = run_action("edit", {
        "project": project, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [edit_result(tmp_path, 2.0)]},
    }, tmp_path)
    assert len(run.processes) == 1
    (box,) = run.message_boxes
    assert box["msg"] == "Item on track 1 at 0:02.000 was skipped: it has no active take."
    assert len(run.tracks[0]["items"][1]["takes"]) == 2


SILENT = "sa-engine at 127.0.0.1:9000 did not answer within 10 s"  # bridge/client.py _give_up


def test_a_silent_engine_stops_the_edit_after_the_first_item(tmp_path: Path) -> None:
    """sa-client's `timeout` before the engine accepted the job: the engine is not there (or not
    at that address); every further item would wait its own 10 s for the same message."""
    source_file = str(write_wav(tmp_path / "source file.wav", 6.0))
    items = [item({"file": source_file}, position=float(5 * k)) for k in range(3)]
    run = run_action("edit", {
        "project": {"tracks": [{"items": items}]}, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [{"result": {"ok": False, "code": "timeout", "message": SILENT}}]},
    }, tmp_path)
    assert len(run.processes) == 1
    (box,) = run.message_boxes
    assert box["msg"].count(SILENT) == 1
    assert "The 2 other items were not sent." in box["msg"]


def test_a_job_that_ran_out_of_time_does_not_stop_the_others(tmp_path: Path) -> None:
    """A `timeout` after the engine reported progress: that job was slow, the engine is there."""
    source_file = str(write_wav(tmp_path / "source file.wav", 6.0))
    items = [item({"file": source_file}, position=float(5 * k)) for k in range(3)]
    late = {"progress": [[0.5, "edit"]], "result": {
        "ok": False, "code": "timeout",
        "message": "the job did not finish in time (--timeout); it was cancelled"}}
    run = run_action("edit", {
        "project": {"tracks": [{"items": items}]}, "inputs": [["", TARGET, ""]],
        "simulate": {"edit": [late]},
    }, tmp_path)
    assert len(run.processes) == 3
