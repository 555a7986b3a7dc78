"""`SemanticAudio - Generate at edit cursor` in Lua 5.4 against the REAPER stand-in: what it asks,
what it launches, what it inserts, and how it fails and cancels."""

from __future__ import annotations

from pathlib import Path

import pytest

from .daw_reaper_harness import run_action, write_wav

PROMPT = 'rain on a tin roof, "close", 3 a.m.'


def project(cursor: float = 4.0, time_selection: tuple[float, float] = (0.0, 0.0)) -> dict:
    return {"cursor": cursor, "time_selection": list(time_selection),
            "tracks": [{"name": "FX"}, {"name": "Foley", "selected": True}]}


def generated(tmp_path: Path, *seconds: float) -> list[str]:
    return [str(write_wav(tmp_path / f"gen{i}.wav", s)) for i, s in enumerate(seconds)]


def test_variations_become_takes_of_one_item_at_the_edit_cursor(tmp_path: Path) -> None:
    paths = generated(tmp_path, 2.5, 2.5)
    run = run_action("generate", {
        "project": project(cursor=4.0, time_selection=(10.0, 12.5)),
        "inputs": [[PROMPT, "2.5", "2", "lo-fi"]],
        "simulate": {"generate": [{"progress": [[0.2, "plan"], [0.9, "synthesize"]],
                                   "result": {"ok": True, "paths": paths}}]},
    }, tmp_path)

    dialog = run.data["dialogs"][0]
    assert dialog["captions"] == ["Prompt", "Duration (s)", "Variations (1-8)", "Preset (optional)"]
    assert dialog["defaults"][1] == "2.5"  # the time selection's length
    assert dialog["separator"] == "\n"  # prompts may hold commas
    (process,) = run.processes
    assert process["timeout_ms"] == -1  # ExecProcess must not wait
    assert process["command"] == "generate"
    assert process["options"]["host"] == "127.0.0.1"
    assert process["options"]["port"] == "9000"
    assert process["json"] is True
    assert process["args"] == [PROMPT, "--duration", "2.5", "--variations", "2", "--out-dir",
                               str(tmp_path / "project-media"), "--preset", "lo-fi"]
    (item,) = run.tracks[1]["items"]  # the selected track
    assert run.tracks[0]["items"] == []
    assert item["position"] == 4.0
    assert item["length"] == pytest.approx(2.5)
    assert [t["file"] for t in item["takes"]] == paths
    assert [t["name"] for t in item["takes"]] == [f"{PROMPT} (1)", f"{PROMPT} (2)"]
    assert item["active_take"] == 1
    assert run.undo == [{"kind": "begin"},
                        {"kind": "end", "description": "SemanticAudio: generate", "flags": -1}]
    assert "plan 20%" in run.data["gfx"]["texts"]
    assert "synthesize 90%" in run.data["gfx"]["texts"]
    assert run.message_boxes == []
    job_dir = Path(process["options"]["result-file"]).parent
    assert not job_dir.exists()  # the job's files are cleaned up


def test_without_time_selection_the_last_duration_is_offered(tmp_path: Path) -> None:
    run = run_action("generate", {
        "project": project(), "ext": {"SemanticAudio/last_duration": "7.5"}, "inputs": [False],
    }, tmp_path)
    assert run.data["dialogs"][0]["defaults"][1] == "7.5"
    assert run.processes == []
    assert run.undo == []


def test_engine_error_text_is_shown_and_nothing_inserted(tmp_path: Path) -> None:
    message = "duration_s 45 is longer than the model accepts (0.5..30 s)"
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "45", "1", ""]],
        "simulate": {"generate": [{"result": {"ok": False, "code": "too_long",
                                              "message": message}}]},
    }, tmp_path)
    (box,) = run.message_boxes
    assert message in box["msg"]
    assert "too_long" in box["msg"]
    assert run.tracks[1]["items"] == []
    assert run.undo == []


@pytest.mark.parametrize("event", ["escape", "close", "click_cancel"])
def test_cancel_asks_the_engine_to_cancel_the_job_and_inserts_nothing(
    event: str, tmp_path: Path
) -> None:
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "5", "1", ""]],
        "simulate": {"generate": [{"hang": True}]}, "gfx_events": {3: event},
    }, tmp_path)
    job, cancel = run.processes
    assert cancel["command"] == "cancel"
    assert cancel["args"] == [job["job_id"]]
    assert cancel["timeout_ms"] == -1
    assert cancel["job_id"] != job["job_id"]
    assert job["cancelled"] is True
    assert run.tracks[1]["items"] == []
    assert run.undo == []
    assert run.message_boxes == []


def test_cancel_gives_up_when_the_engine_never_confirms(tmp_path: Path) -> None:
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "5", "1", ""]],
        "simulate": {"generate": [{"hang": True}], "cancel": [{"ignore": True}]},
        "gfx_events": {2: "escape"},
    }, tmp_path)
    assert [p["command"] for p in run.processes] == ["generate", "cancel"]
    assert 10 * 30 <= run.data["ticks"] <= 12 * 30  # the 10 s grace at 30 defer cycles/s
    assert run.tracks[1]["items"] == []
    assert run.message_boxes == []


@pytest.mark.parametrize(("fields", "complaint"), [
    (["", "5", "1", ""], "Type a prompt"),
    ([PROMPT, "five", "1", ""], 'Duration must be a positive number of seconds, got "five"'),
    ([PROMPT, "5", "9", ""], 'Variations must be a whole number from 1 to 8, got "9"'),
])
def test_bad_dialog_values_are_explained(fields: list[str], complaint: str, tmp_path: Path) -> None:
    run = run_action("generate", {"project": project(), "inputs": [fields]}, tmp_path)
    assert complaint in run.message_boxes[0]["msg"]
    assert run.processes == []


def test_without_a_track_it_says_to_select_one(tmp_path: Path) -> None:
    run = run_action("generate", {"project": {"tracks": [{"name": "unselected"}]}}, tmp_path)
    assert "Select the track" in run.message_boxes[0]["msg"]
    assert run.data["dialogs"] == []


def test_missing_client_program_points_at_the_settings(tmp_path: Path) -> None:
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "5", "1", ""]],
        "simulate": {"generate": [{"exit_code": 127, "stderr": "sh: 1: sa-client: not found"}]},
    }, tmp_path)
    (box,) = run.message_boxes
    assert "sa-client: not found" in box["msg"]
    assert "SemanticAudio: Settings" in box["msg"]


def test_terminating_the_script_mid_job_cancels_the_job(tmp_path: Path) -> None:
    """REAPER runs atexit handlers when it stops a deferring script (re-run, quit)."""
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "5", "1", ""]],
        "simulate": {"generate": [{"hang": True}]}, "max_ticks": 5,
    }, tmp_path, allow_unfinished=True)
    job, cancel = run.processes
    assert run.data["timed_out"] is True
    assert cancel["command"] == "cancel"
    assert cancel["args"] == [job["job_id"]]
    assert run.tracks[1]["items"] == []


def test_a_file_reaper_cannot_open_inserts_nothing(tmp_path: Path) -> None:
    good = generated(tmp_path, 2.0)[0]
    bad = tmp_path / "gen1.txt"
    bad.write_text("not audio", encoding="utf-8")
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "2", "2", ""]],
        "simulate": {"generate": [{"result": {"ok": True, "paths": [good, str(bad)]}}]},
    }, tmp_path)
    assert run.tracks[1]["items"] == []  # no empty item left behind
    assert run.undo == []
    (box,) = run.message_boxes
    assert f"REAPER could not open {bad}" in box["msg"]
    assert "Nothing was inserted" in box["msg"]


def test_a_cancel_that_arrives_after_the_engine_finished_inserts_nothing(tmp_path: Path) -> None:
    """The engine finishes in the same cycle as the Esc: the docs promise nothing is inserted."""
    paths = generated(tmp_path, 2.0)
    run = run_action("generate", {
        "project": project(), "inputs": [[PROMPT, "2", "1", ""]], "gfx_events": {2: "escape"},
        "simulate": {"generate": [{"progress": [[0.5, "plan"]],
                                   "result": {"ok": True, "paths": paths}}]},
    }, tmp_path)
    assert [p["command"] for p in run.processes] == ["generate", "cancel"]
    assert run.tracks[1]["items"] == []
    assert run.undo == []
    (box,) = run.message_boxes
    assert box["msg"].startswith("Cancelled: nothing was inserted")
    assert paths[0] in box["msg"]


def test_a_long_prompt_is_cut_between_characters(tmp_path: Path) -> None:
    prompt = "雨" * 100  # 300 bytes of UTF-8
    run = run_action("generate", {
        "project": project(), "inputs": [[prompt, "2", "1", ""]],
        "simulate": {"generate": [{"result": {"ok": True, "paths": generated(tmp_path, 2.0)}}]},
    }, tmp_path)
    assert run.tracks[1]["items"][0]["takes"][0]["name"] == "雨" * 77 + "..."
