"""`SemanticAudio - Engine status` and `... - Settings` in Lua 5.4 against the REAPER stand-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from .daw_reaper_harness import run_action

PONG = {"ok": True, "version": "1", "model": "tiny-two-stage", "device": "cpu"}
STATUS = {"ok": True, "queued": 2, "running_job_id": "ab12cd34ef56", "fraction": 0.5,
          "stage": "synthesize", "queued_job_ids": ["x1", "x2"]}


def test_status_shows_model_device_and_queue(tmp_path: Path) -> None:
    run = run_action("status", {
        "simulate": {"ping": [{"result": PONG}], "status": [{"result": STATUS}]},
    }, tmp_path)
    assert [p["command"] for p in run.processes] == ["ping", "status"]
    assert all(p["options"]["timeout"] == "5" for p in run.processes)  # quick questions
    text = run.message_boxes[0]["msg"]
    for line in ("sa-engine at 127.0.0.1:9000 is running.", "Model: tiny-two-stage",
                 "Device: cpu", "Running: job ab12cd34ef56 (synthesize 50%)",
                 "Queued jobs: 2", "Client: sa-client"):
        assert line in text


def test_status_when_the_engine_is_down_says_how_to_start_it(tmp_path: Path) -> None:
    down = {"ok": False, "code": "timeout",
            "message": "sa-engine at 127.0.0.1:9000 did not answer within 5 s"}
    run = run_action("status", {"simulate": {"ping": [{"result": down}]}}, tmp_path)
    assert len(run.processes) == 1  # no queue question after a failed ping
    (box,) = run.message_boxes
    assert box["type"] == 4  # Yes/No: open the settings?
    assert "did not answer within 5 s [timeout]" in box["msg"]
    assert "sa-engine --port 9000" in box["msg"]


def test_settings_are_saved_and_used_by_the_next_action(tmp_path: Path) -> None:
    run = run_action("settings", {
        "inputs": [["192.168.1.20", "9100", "/opt/sa/bin/sa-client", "120", ""]],
    }, tmp_path)
    saved = run.data["ext"]
    assert saved["SemanticAudio/host"] == "192.168.1.20"
    assert saved["SemanticAudio/port"] == "9100"
    assert saved["SemanticAudio/client"] == "/opt/sa/bin/sa-client"
    assert saved["SemanticAudio/timeout_s"] == "120"
    assert all(call[3] is True for call in run.calls("SetExtState"))  # kept across restarts

    later = run_action("status", {
        "ext": saved, "simulate": {"ping": [{"result": PONG}], "status": [{"result": STATUS}]},
    }, tmp_path)
    ping = later.processes[0]
    assert ping["argv"][0] == "/opt/sa/bin/sa-client"
    assert ping["options"]["host"] == "192.168.1.20"
    assert ping["options"]["port"] == "9100"


def test_settings_dialog_starts_from_the_defaults(tmp_path: Path) -> None:
    run = run_action("settings", {"inputs": [False]}, tmp_path)
    assert run.data["dialogs"][0]["defaults"] == ["127.0.0.1", "9000", "sa-client", "600", ""]
    assert run.calls("SetExtState") == []


def test_bad_settings_are_refused_with_the_reason(tmp_path: Path) -> None:
    run = run_action("settings", {
        "inputs": [["127.0.0.1", "90000", "sa-client", "600", ""]],
    }, tmp_path)
    assert 'Engine port must be a whole number in 1..65535, got "90000"' in (
        run.message_boxes[0]["msg"])
    assert run.calls("SetExtState") == []


def test_stored_bad_settings_stop_an_action_before_it_runs(tmp_path: Path) -> None:
    run = run_action("status", {"ext": {"SemanticAudio/timeout_s": "soon"}}, tmp_path)
    assert 'Timeout must be a positive number of seconds, got "soon"' in (
        run.message_boxes[0]["msg"])
    assert run.processes == []


@pytest.mark.parametrize(("os_name", "folder", "accepted"), [
    ("Other", "renders", False),         # sa-client would resolve it in REAPER's own folder
    ("Other", "~/renders", False),       # no shell expands ~ for the engine
    ("Other", "/home/me/sa renders", True),
    ("Win64", r"renders\sa", False),
    ("Win64", r"D:\Sound Design\sa", True),
    ("Win64", r"\\studio-nas\renders", True),
])
def test_the_output_folder_must_be_absolute(
    os_name: str, folder: str, accepted: bool, tmp_path: Path
) -> None:
    run = run_action("settings", {
        "os": os_name, "inputs": [["127.0.0.1", "9000", "sa-client", "600", folder]],
    }, tmp_path)
    if accepted:
        assert run.data["ext"]["SemanticAudio/out_dir"] == folder
        assert run.message_boxes == []
    else:
        assert run.calls("SetExtState") == []
        (box,) = run.message_boxes
        assert f'Output folder must be an absolute path, got "{folder}"' in box["msg"]
