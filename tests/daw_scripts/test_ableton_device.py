"""The Max for Live device's [js] under Node, against a LiveAPI stand-in: what it reads from Live,
what it sends over OSC, and where it puts the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .daw_device_harness import audio_track, clip, live_set, run_device, sent, statuses


def test_on_load_it_opens_its_reply_port_and_asks_the_engine(tmp_path: Path) -> None:
    run = run_device([["init"]], live_set(), tmp_path)
    (port_message,) = [out for out in run["outlets"] if out[0] == 4]
    port = port_message[2]
    assert port_message[1] == "port"
    assert 9100 <= port < 9900
    assert sent(run, "/sa/ping") == [[port]]
    assert sent(run, "/sa/presets") == [[port]]
    assert run["errors"] == []


def test_on_a_live_too_old_to_read_clips_it_says_which_live_it_needs(tmp_path: Path) -> None:
    run = run_device([["init"]], live_set(version=[11, 0, 2]), tmp_path)
    assert statuses(run)[-1] == "SemanticAudio needs Live 11.0.5 or newer (this is Live 11.0.2)"
    assert sent(run, "/sa/ping") == []


def test_preset_reply_fills_the_menu(tmp_path: Path) -> None:
    run = run_device([["/sa/presets", "telephone", "generate", "Phone", "weather-change", "edit",
                       "Rain"]], live_set(), tmp_path)
    menu = [out[1:] for out in run["outlets"] if out[0] == 3]
    assert menu == [["clear"], ["append", "(no preset)"], ["append", "telephone"],
                    ["append", "weather-change"]]


PROMPT_WORDS = ["rain", "on", "a", "tin", "roof,", "close"]


def generate_steps(place: int = 0) -> list[list[Any]]:
    return [["init"], ["prompt", *PROMPT_WORDS], ["duration", 2.5], ["variations", 2],
            ["preset", "telephone"], ["folder", "Macintosh HD:/Users/me/SA out/"],
            ["place", place], ["generate"]]


def test_generate_sends_the_request_and_creates_session_clips(tmp_path: Path) -> None:
    done = ["/sa/done", "$JOB", "/Users/me/SA out/rain_1.wav", "/Users/me/SA out/rain_2.wav"]
    live = live_set(os="macintosh", tracks=[audio_track(slots=[{"name": "taken"}])])
    run = run_device([*generate_steps(), ["/sa/accepted", "$JOB", 0],
                      ["/sa/progress", "$JOB", 0.5, "synthesize"], done], live, tmp_path)
    (request,) = sent(run, "/sa/generate")
    job_id, reply_port, prompt, duration_s, out_dir, options = request
    assert job_id.startswith("m4l")
    assert len(job_id) == 12
    assert isinstance(reply_port, int)
    assert reply_port == sent(run, "/sa/ping")[0][0]
    assert prompt == "rain on a tin roof, close"
    assert duration_s == 2.5
    assert out_dir == "/Users/me/SA out"  # Max's "Volume:/path" made a POSIX path
    assert options == "variations=2;preset=telephone"
    slots = run["tracks"][0]["slots"]
    assert slots[0] == {"name": "taken"}  # the occupied slot is skipped
    assert [s["file_path"] for s in slots[1:3]] == [  # Live on macOS wants /Volumes/<drive>/
        "/Volumes/Macintosh HD/Users/me/SA out/rain_1.wav",
        "/Volumes/Macintosh HD/Users/me/SA out/rain_2.wav"]
    assert [s["name"] for s in slots[1:3]] == ["rain on a tin roof, close"] * 2
    progress = [out[1] for out in run["outlets"] if out[0] == 2]
    assert progress == [0, 0.5, 1]
    assert "synthesize 50%" in statuses(run)
    assert statuses(run)[-1] == "Done: rain_1.wav, rain_2.wav"
    assert run["errors"] == []


def test_generate_into_the_arrangement_at_the_song_position(tmp_path: Path) -> None:
    done = ["/sa/done", "$JOB", "C:/out/a.wav", "C:/out/b.wav"]
    live = live_set(created_clip_beats=5.0)
    run = run_device([*generate_steps(place=1), done], live, tmp_path)
    clips = run["tracks"][0]["arrangement"]
    assert [(c["file_path"], c["position"]) for c in clips] == [("C:/out/a.wav", 16.0),
                                                                ("C:/out/b.wav", 21.0)]
    assert run["errors"] == []


def test_edit_of_an_unwarped_session_clip_sends_its_marker_span(tmp_path: Path) -> None:
    source = clip()
    live = live_set(tracks=[audio_track(slots=[None, source])],
                    detail_clip={"track": 0, "slot": 1})
    run = run_device([["init"], ["source", "a", "door", "slams"], ["target", "a", "door",
                      "creaks"], ["edit"], ["/sa/done", "$JOB", "C:/Samples/door_edit.wav"]],
                     live, tmp_path)
    (request,) = sent(run, "/sa/edit")
    assert request[2:] == ["C:/Samples/door slam.wav", 0.5, 2.0, "a door slams", "a door creaks",
                           "C:/Samples", ""]  # no folder chosen: next to the source file
    new_clip = run["tracks"][0]["slots"][2]  # the first empty slot below the source
    assert new_clip["file_path"] == "C:/Samples/door_edit.wav"
    assert new_clip["name"] == "a door creaks"
    assert run["errors"] == []


def test_edit_of_a_warped_arrangement_clip_maps_beats_to_seconds(tmp_path: Path) -> None:
    # Warp markers put beat 0 at 0.25 s and beat 4 at 2.25 s: 0.5 s per beat.
    markers = [{"beat_time": 0.0, "sample_time": 0.25}, {"beat_time": 4.0, "sample_time": 2.25}]
    source = clip(warping=1, start_marker=1.0, end_marker=3.0, warp_markers=markers,
                  end_time=12.0)
    live = live_set(tracks=[audio_track(arrangement=[source])],
                    detail_clip={"track": 0, "arrangement": 0})
    run = run_device([["init"], ["target", "glass"], ["folder", "D:/renders"], ["edit"],
                      ["/sa/done", "$JOB", "D:/renders/glass.wav"]], live, tmp_path)
    (request,) = sent(run, "/sa/edit")
    assert request[3:5] == [pytest.approx(0.75), pytest.approx(1.0)]
    assert request[7] == "D:/renders"
    placed = run["tracks"][0]["arrangement"][1]
    assert placed["position"] == 12.0  # right after the source clip
    assert placed["name"] == "glass"


def test_on_live_before_12_0_5_results_are_not_placed_and_it_says_why(tmp_path: Path) -> None:
    live = live_set(version=[12, 0, 1])
    run = run_device([*generate_steps(), ["/sa/done", "$JOB", "C:/out/a.wav"]], live, tmp_path)
    assert statuses(run)[-1] == ("Creating clips needs Live 12.0.5 or newer (this is Live "
                                 "12.0.1). Files: C:/out/a.wav")
    assert run["tracks"][0]["slots"] == []
    assert not [entry for entry in run["live"] if entry[0] == "call" and
                entry[2] == "create_audio_clip"]


def test_engine_error_is_shown_and_the_device_is_free_again(tmp_path: Path) -> None:
    message = "duration_s 45 is longer than the model accepts (0.5..30 s)"
    steps = [*generate_steps(), ["/sa/error", "$JOB", "too_long", message],
             ["/sa/error", "someone-else", "bad_path", "not ours"], ["generate"]]
    run = run_device(steps, live_set(), tmp_path)
    assert f"Engine error (too_long): {message}" in statuses(run)
    assert "not ours" not in " ".join(statuses(run))
    assert len(sent(run, "/sa/generate")) == 2  # the second generate was accepted


def test_cancel_sends_the_job_id_and_reports_the_cancel(tmp_path: Path) -> None:
    run = run_device([*generate_steps(), ["cancel"], ["/sa/error", "$JOB", "cancelled", "x"]],
                     live_set(), tmp_path)
    (request,) = sent(run, "/sa/generate")
    assert sent(run, "/sa/cancel") == [[request[0], request[1]]]
    assert statuses(run)[-1] == "Cancelled"


def test_silence_from_the_engine_is_reported(tmp_path: Path) -> None:
    run = run_device([*generate_steps(), ["tick", 10001]], live_set(), tmp_path)
    assert statuses(run)[-1] == ("No answer from sa-engine at 127.0.0.1:9000. Start it with: "
                                 "sa-engine --port 9000")


@pytest.mark.parametrize(("detail", "tracks", "complaint"), [
    (None, [audio_track()], "Select an audio clip first"),
    ({"track": 0, "slot": 0}, [audio_track(slots=[clip(is_audio_clip=0)])],
     "The selected clip is a MIDI clip"),
    ({"track": 0, "slot": 0}, [audio_track(slots=[clip(start_marker=4.0, end_marker=5.0)])],
     "The clip's markers hold no audio"),
])
def test_edit_explains_what_is_wrong_with_the_selection(
    detail: dict | None, tracks: list, complaint: str, tmp_path: Path
) -> None:
    live = live_set(tracks=tracks, detail_clip=detail)
    run = run_device([["target", "x"], ["edit"]], live, tmp_path)
    assert statuses(run)[-1].startswith(complaint)
    assert sent(run, "/sa/edit") == []


def as_max_atoms(args: list[Any]) -> list[Any]:
    """What [udpsend] sends: Max turns a JS number without a fraction into an int atom."""
    return [int(a) if isinstance(a, float) and a.is_integer() else a for a in args]


def test_every_request_decodes_under_the_bridge_protocol(tmp_path: Path) -> None:
    from semanticaudio.bridge.protocol import EditRequest, GenerateRequest, decode_request

    source = clip()
    live = live_set(tracks=[audio_track(slots=[source])], detail_clip={"track": 0, "slot": 0})
    steps = [*generate_steps(), ["/sa/done", "$JOB", "C:/o/a.wav"], ["duration", 3.0],
             ["generate"], ["cancel"], ["/sa/error", "$JOB", "cancelled", "x"],
             ["target", "a", "door", "creaks"], ["edit"]]
    run = run_device(steps, live, tmp_path)
    requests = [out[1:] for out in run["outlets"] if out[0] == 0]
    assert [r[0] for r in requests] == ["/sa/ping", "/sa/presets", "/sa/generate",
                                        "/sa/generate", "/sa/cancel", "/sa/edit"]
    decoded = [decode_request(r[0], as_max_atoms(r[1:])) for r in requests]
    first_generate, second_generate, edit = decoded[2], decoded[3], decoded[5]
    assert isinstance(first_generate, GenerateRequest)
    assert first_generate.options.variations == 2
    assert first_generate.options.preset == "telephone"
    assert second_generate.duration_s == 3.0  # sent as an int atom, read as seconds
    assert isinstance(edit, EditRequest)
    assert (edit.start_s, edit.length_s) == (0.5, 2.0)
    assert edit.target_prompt == "a door creaks"
