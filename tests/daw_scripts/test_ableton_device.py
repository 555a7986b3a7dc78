"""The Max for Live device's [js] under Node, against a LiveAPI stand-in: what it reads from Live,
what it sends over OSC, and where it puts the results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .daw_device_harness import (
    audio_track,
    clip,
    created_clips,
    live_set,
    run_device,
    sent,
    statuses,
)


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


PROMPT = "rain on a tin roof, close"
MAC_FOLDER = "Macintosh HD:/Users/me/SA out/"  # what [opendialog fold] gives on macOS


def generate_steps(place: int = 0, folder: str = "C:/out/") -> list[list[Any]]:
    return [["init"], ["type", "prompt", PROMPT], ["duration", 2.5], ["variations", 2],
            ["preset", "telephone"], ["folder", folder], ["place", place], ["generate"]]


def test_generate_sends_the_request_and_creates_session_clips(tmp_path: Path) -> None:
    done = ["/sa/done", "$JOB", "/Users/me/SA out/rain_1.wav", "/Users/me/SA out/rain_2.wav"]
    live = live_set(os="macintosh", tracks=[audio_track(slots=[{"name": "taken"}])])
    run = run_device([*generate_steps(folder=MAC_FOLDER), ["/sa/accepted", "$JOB", 0],
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
    assert [(c["file_path"], c["start_time"]) for c in clips] == [("C:/out/a.wav", 16.0),
                                                                ("C:/out/b.wav", 21.0)]
    assert run["errors"] == []


def test_edit_of_an_unwarped_session_clip_sends_its_marker_span(tmp_path: Path) -> None:
    source = clip()
    live = live_set(tracks=[audio_track(slots=[None, source])],
                    detail_clip={"track": 0, "slot": 1})
    run = run_device([["init"], ["type", "source", "a door slams"],
                      ["type", "target", "a door creaks"], ["edit"],
                      ["/sa/done", "$JOB", "C:/Samples/door_edit.wav"]], live, tmp_path)
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
    run = run_device([["init"], ["type", "target", "glass"], ["folder", "D:/renders"], ["edit"],
                      ["/sa/done", "$JOB", "D:/renders/glass.wav"]], live, tmp_path)
    (request,) = sent(run, "/sa/edit")
    assert request[3:5] == [pytest.approx(0.75), pytest.approx(1.0)]
    assert request[7] == "D:/renders"
    placed = run["tracks"][0]["arrangement"][1]
    assert placed["start_time"] == 12.0  # right after the source clip
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
    run = run_device([["type", "target", "x"], ["edit"]], live, tmp_path)
    assert statuses(run)[-1].startswith(complaint)
    assert sent(run, "/sa/edit") == []


def as_max_atoms(args: list[Any]) -> list[Any]:
    """What [udpsend] sends: Max turns a JS number without a fraction into an int atom."""
    return [int(a) if isinstance(a, float) and a.is_integer() else a for a in args]


def test_every_request_decodes_under_the_bridge_protocol(tmp_path: Path) -> None:
    from semanticaudio.bridge.protocol import EditRequest, GenerateRequest, decode_request

    source = clip()
    live = live_set(tracks=[audio_track(slots=[source])], detail_clip={"track": 0, "slot": 0})
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["tick", 30001],
             ["/sa/done", "$JOB", "C:/o/a.wav"], ["duration", 3.0],
             ["generate"], ["cancel"], ["/sa/error", "$JOB", "cancelled", "x"],
             ["type", "target", "a door creaks"], ["edit"]]
    run = run_device(steps, live, tmp_path)
    requests = [out[1:] for out in run["outlets"] if out[0] == 0]
    assert [r[0] for r in requests] == ["/sa/ping", "/sa/presets", "/sa/generate", "/sa/status",
                                        "/sa/generate", "/sa/cancel", "/sa/edit"]
    decoded = [decode_request(r[0], as_max_atoms(r[1:])) for r in requests]
    first_generate, second_generate, edit = decoded[2], decoded[4], decoded[6]
    assert isinstance(first_generate, GenerateRequest)
    assert first_generate.options.variations == 2
    assert first_generate.options.preset == "telephone"
    assert second_generate.duration_s == 3.0  # sent as an int atom, read as seconds
    assert isinstance(edit, EditRequest)
    assert (edit.start_s, edit.length_s) == (0.5, 2.0)
    assert edit.target_prompt == "a door creaks"


# ------------------------------------------------------------------ macOS paths


@pytest.mark.parametrize(("boot_volume", "folder", "out_dir"), [
    ("Macintosh HD", "Macintosh HD:/Users/me/SA out/", "/Users/me/SA out"),
    ("Macintosh HD", "External SSD:/Renders/", "/Volumes/External SSD/Renders"),
    ("Studio", "Studio:/Users/me/", "/Users/me"),  # the boot volume need not be "Macintosh HD"
    ("Studio", "Macintosh HD:/Renders/", "/Volumes/Macintosh HD/Renders"),
])
def test_a_mac_folder_is_under_slash_only_on_the_boot_volume(
    boot_volume: str, folder: str, out_dir: str, tmp_path: Path
) -> None:
    live = live_set(os="macintosh", boot_volume=boot_volume)
    run = run_device(generate_steps(folder=folder), live, tmp_path)
    assert sent(run, "/sa/generate")[0][4] == out_dir
    assert run["errors"] == []


def test_windows_folders_stay_as_max_gives_them(tmp_path: Path) -> None:
    run = run_device(generate_steps(folder="D:/Renders/"), live_set(), tmp_path)
    assert sent(run, "/sa/generate")[0][4] == "D:/Renders"
    assert not [out for out in run["outlets"] if out[0] == 5]  # no boot volume to ask about


def test_results_on_another_volume_become_clips_there(tmp_path: Path) -> None:
    done = ["/sa/done", "$JOB", "/Volumes/External SSD/Renders/rain_1.wav"]
    run = run_device([*generate_steps(folder="External SSD:/Renders/"), done],
                     live_set(os="macintosh"), tmp_path)
    assert [c["file_path"] for c in created_clips(run)] == [
        "/Volumes/External SSD/Renders/rain_1.wav"]
    assert statuses(run)[-1] == "Done: rain_1.wav"


def test_an_edited_clips_volume_does_not_leak_into_later_paths(tmp_path: Path) -> None:
    source = clip(file_path="/Volumes/Samples/kit/door.wav")
    live = live_set(os="macintosh", tracks=[audio_track(slots=[source])],
                    detail_clip={"track": 0, "slot": 0}, scenes=8)
    run = run_device([["init"], ["type", "target", "glass"], ["edit"],
                      ["/sa/done", "$JOB", "/Volumes/Samples/kit/door_glass.wav"],
                      ["folder", MAC_FOLDER], ["edit"],
                      ["/sa/done", "$JOB", "/Users/me/SA out/door_glass_2.wav"]], live, tmp_path)
    assert [r[7] for r in sent(run, "/sa/edit")] == ["/Volumes/Samples/kit", "/Users/me/SA out"]
    assert [c["file_path"] for c in created_clips(run)] == [
        "/Volumes/Samples/kit/door_glass.wav",
        "/Volumes/Macintosh HD/Users/me/SA out/door_glass_2.wav"]  # the boot disk, not Samples
    assert run["errors"] == []


# ------------------------------------------------------------ a job that goes quiet

SILENCE_MS = 30000  # semanticaudio.js: ask /sa/status after this long without a word
ACK_MS = 10000
CANCEL_GRACE_MS = 5000


def test_cancel_that_the_engine_never_confirms_frees_the_device(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["cancel"],
             ["tick", CANCEL_GRACE_MS - 1]]
    waiting = run_device([*steps, ["generate"]], live_set(), tmp_path)
    assert statuses(waiting)[-1].startswith("Busy with job")
    run = run_device([*steps, ["tick", 2], ["generate"]], live_set(), tmp_path)
    job_id = sent(run, "/sa/generate")[0][0]
    assert (f"sa-engine did not confirm the cancel of job {job_id} within 5 s; stopped waiting "
            "for it. If the engine is stuck, restart it (sa-engine --port 9000)") in statuses(run)
    assert len(sent(run, "/sa/generate")) == 2  # free again


def test_progress_after_cancel_does_not_extend_the_grace(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["cancel"], ["tick", 3000],
             ["/sa/progress", "$JOB", 0.5, "plan"], ["tick", 2001]]
    run = run_device(steps, live_set(), tmp_path)
    assert "did not confirm the cancel" in statuses(run)[-1]


def test_a_confirmed_cancel_leaves_nothing_behind(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["cancel"], ["tick", 1000],
             ["/sa/error", "$JOB", "cancelled", "x"], ["tick", 60000]]
    run = run_device(steps, live_set(), tmp_path)
    assert statuses(run)[-1] == "Cancelled"
    assert sent(run, "/sa/status") == []


def test_an_engine_that_dies_mid_job_is_asked_then_given_up(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0],
             ["/sa/progress", "$JOB", 0.2, "plan"], ["tick", SILENCE_MS - 1]]
    quiet = run_device(steps, live_set(), tmp_path)
    assert sent(quiet, "/sa/status") == []
    run = run_device([*steps, ["tick", 2], ["tick", ACK_MS], ["generate"]], live_set(), tmp_path)
    (request, _) = sent(run, "/sa/generate")
    assert sent(run, "/sa/status") == [[request[1]]]  # reply_port
    assert (f"sa-engine at 127.0.0.1:9000 stopped answering during job {request[0]}. Restart it "
            "(sa-engine --port 9000) and try again") in statuses(run)
    assert [out[1] for out in run["outlets"] if out[0] == 2][-2] == 0  # the bar is reset


def test_a_queued_job_stays_while_the_engine_still_has_it(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 1],
             ["tick", SILENCE_MS + 1], ["/sa/status", 1, "other", 0.4, "plan", "$JOB"],
             ["tick", SILENCE_MS + 1], ["/sa/status", 0, "$JOB", 0.1, "plan"],
             ["tick", ACK_MS + 1], ["/sa/done", "$JOB", "C:/out/rain_1.wav"]]
    run = run_device(steps, live_set(), tmp_path)
    assert len(sent(run, "/sa/status")) == 2
    assert statuses(run)[-1] == "Done: rain_1.wav"


def test_a_job_the_engine_no_longer_has_is_given_up(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["tick", SILENCE_MS + 1],
             ["/sa/status", 0, "", 0.0, "idle"], ["tick", 2001]]
    run = run_device(steps, live_set(), tmp_path)
    job_id = sent(run, "/sa/generate")[0][0]
    assert statuses(run)[-1] == (f"sa-engine no longer has job {job_id} (was it restarted?). "
                                 "Try again")


def test_a_final_reply_that_crosses_the_status_answer_still_counts(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["tick", SILENCE_MS + 1],
             ["/sa/status", 0, "", 0.0, "idle"], ["/sa/done", "$JOB", "C:/out/rain_1.wav"],
             ["tick", 5000]]
    run = run_device(steps, live_set(), tmp_path)
    assert statuses(run)[-1] == "Done: rain_1.wav"


def test_a_long_job_that_keeps_reporting_is_never_questioned(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0]]
    for step in range(10):  # 200 s of work, e.g. a 30 s clip on a CPU
        steps += [["tick", 20000], ["/sa/progress", "$JOB", step / 10, "synthesize"]]
    run = run_device([*steps, ["/sa/done", "$JOB", "C:/out/rain_1.wav"]], live_set(), tmp_path)
    assert sent(run, "/sa/status") == []
    assert statuses(run)[-1] == "Done: rain_1.wav"


# ------------------------------------------------------------ where the device sits


@pytest.mark.parametrize(("device_path", "where"), [
    ("live_set return_tracks 1 devices 0", "a return track"),
    ("live_set master_track devices 0", "the master track"),
])
def test_on_a_return_or_master_track_it_asks_for_an_audio_track(
    device_path: str, where: str, tmp_path: Path
) -> None:
    live = live_set(device_path=device_path, tracks=[audio_track(), audio_track()])
    run = run_device(generate_steps(), live, tmp_path)
    assert statuses(run)[-1] == (f"SemanticAudio is on {where}, where clips cannot go: put it "
                                 "on an audio track")
    assert sent(run, "/sa/generate") == []


def test_a_device_inside_a_rack_uses_the_racks_track(tmp_path: Path) -> None:
    live = live_set(device_path="live_set tracks 1 devices 0 chains 0 devices 2",
                    tracks=[audio_track(), audio_track()])
    run = run_device([*generate_steps(), ["/sa/done", "$JOB", "C:/out/rain_1.wav"]], live,
                     tmp_path)
    assert created_clips(run, track=0) == []
    assert [c["file_path"] for c in created_clips(run, track=1)] == ["C:/out/rain_1.wav"]


# ------------------------------------------------------------------- text fields


def test_only_the_textedits_own_word_is_dropped(tmp_path: Path) -> None:
    steps = [["type", "prompt", "text to speech, robotic"], ["folder", "C:/out/"], ["generate"]]
    run = run_device(steps, live_set(), tmp_path)
    assert sent(run, "/sa/generate")[0][2] == "text to speech, robotic"


def test_a_cleared_prompt_field_clears_the_prompt(tmp_path: Path) -> None:
    steps = [["type", "prompt", "rain"], ["type", "prompt", ""], ["folder", "C:/out/"],
             ["generate"]]
    run = run_device(steps, live_set(), tmp_path)
    assert statuses(run)[-1] == "Type a prompt first"
    assert sent(run, "/sa/generate") == []


# --------------------------------------------------------- clips Live does not make


@pytest.mark.parametrize("place", [0, 1])
def test_a_clip_live_refuses_is_reported_not_done(place: int, tmp_path: Path) -> None:
    steps = [*generate_steps(place=place), ["change_track", 0, {"frozen": True}],  # meanwhile
             ["/sa/done", "$JOB", "C:/out/rain_1.wav"]]
    run = run_device(steps, live_set(), tmp_path)
    assert run["errors"] == []  # Live prints to the Max Console; the JS sees no exception
    assert run["console"] == [f"{'Track' if place else 'ClipSlot'}.create_audio_clip: "
                              "create_audio_clip: the track is frozen"]
    assert statuses(run)[-1] == ("Live did not create a clip from C:/out/rain_1.wav (the Max "
                                 "Console says why; the files are on disk)")
    assert created_clips(run) == []


# ------------------------------------------------- the user's clips stay as they are


def test_an_edit_result_covers_no_clip_that_follows_the_source(tmp_path: Path) -> None:
    # Live cuts away whatever part of a clip a new Arrangement clip covers (the stand-in too).
    source = clip(start_time=8.0, end_time=12.0)
    neighbour = clip(file_path="C:/Samples/kick.wav", name="kick", start_time=12.0, end_time=14.0)
    later = clip(file_path="C:/Samples/hat.wav", name="hat", start_time=20.0, end_time=24.0)
    live = live_set(tracks=[audio_track(arrangement=[source, neighbour, later])],
                    detail_clip={"track": 0, "arrangement": 0}, created_clip_beats=5.0)
    run = run_device([["init"], ["type", "target", "glass"], ["edit"],
                      ["/sa/done", "$JOB", "C:/Samples/glass.wav"]], live, tmp_path)
    arrangement = run["tracks"][0]["arrangement"]
    assert [c for c in arrangement if not c.get("created")] == [source, neighbour, later]
    (placed,) = created_clips(run)
    assert (placed["start_time"], placed["name"]) == (24.0, "glass")
    assert statuses(run)[-1] == ("Done: glass.wav (after the last clip on the track, at beat 24, "
                                 "so that none of your clips is covered)")


def test_generated_clips_do_not_cover_a_clip_under_the_song_position(tmp_path: Path) -> None:
    under = clip(name="pad", start_time=14.0, end_time=18.0)  # the song position is 16
    live = live_set(tracks=[audio_track(arrangement=[under])], created_clip_beats=5.0)
    run = run_device([*generate_steps(place=1), ["/sa/done", "$JOB", "C:/out/a.wav",
                                                 "C:/out/b.wav"]], live, tmp_path)
    assert [c for c in run["tracks"][0]["arrangement"] if not c.get("created")] == [under]
    assert [c["start_time"] for c in created_clips(run)] == [18.0, 23.0]


def test_an_edit_into_a_free_arrangement_goes_right_after_the_source(tmp_path: Path) -> None:
    earlier = clip(name="intro", start_time=0.0, end_time=4.0)
    source = clip(start_time=8.0, end_time=12.0)
    live = live_set(tracks=[audio_track(arrangement=[earlier, source])],
                    detail_clip={"track": 0, "arrangement": 1})
    run = run_device([["type", "target", "glass"], ["edit"],
                      ["/sa/done", "$JOB", "C:/Samples/glass.wav"]], live, tmp_path)
    assert [c["start_time"] for c in created_clips(run)] == [12.0]
    assert statuses(run)[-1] == "Done: glass.wav"


# ---------------------------------------------------------------- looped clips

# Warp markers put beat 0 at 0.25 s and beat 4 at 2.25 s: 0.5 s per beat.
MARKERS = [{"beat_time": 0.0, "sample_time": 0.25}, {"beat_time": 4.0, "sample_time": 2.25}]


@pytest.mark.parametrize(("start_marker", "start_s"), [
    (1.0, 0.75),  # plays from the start marker (beat 1) into the loop
    (3.0, 1.25),  # starts inside the loop: the loop start (beat 2) is the earliest it plays
])
def test_edit_of_a_looped_clip_sends_what_it_plays_up_to_the_loop_end(
    start_marker: float, start_s: float, tmp_path: Path
) -> None:
    # Loop brace beats 2..4; the end marker (beat 16) is left from before Loop was switched on
    # and plays no part: the clip plays from its start marker to beat 4, then 2..4 again.
    source = clip(warping=1, looping=1, start_marker=start_marker, end_marker=16.0,
                  loop_start=2.0, loop_end=4.0, warp_markers=MARKERS, sample_length=10 * 48000)
    live = live_set(tracks=[audio_track(slots=[source])], detail_clip={"track": 0, "slot": 0})
    run = run_device([["type", "target", "glass"], ["edit"]], live, tmp_path)
    (request,) = sent(run, "/sa/edit")
    assert request[3:5] == [pytest.approx(start_s), pytest.approx(2.25 - start_s)]


# ------------------------------------------------------- tracks that take no clips


@pytest.mark.parametrize(("kind", "complaint"), [
    ({"audio": False}, "Track 1 (Audio) is a MIDI track, where audio clips cannot go: put "
                       "SemanticAudio on an audio track"),
    ({"group": True}, "Track 1 (Audio) is a group track, which holds no clips: put SemanticAudio "
                      "on an audio track"),
    ({"frozen": True}, "Track 1 (Audio) is frozen, and Live adds no clips to a frozen track: "
                       "unfreeze it, then try again"),
])
def test_generate_on_a_track_that_takes_no_clips_says_so_before_the_job(
    kind: dict, complaint: str, tmp_path: Path
) -> None:
    run = run_device(generate_steps(), live_set(tracks=[audio_track(**kind)]), tmp_path)
    assert statuses(run)[-1] == complaint
    assert sent(run, "/sa/generate") == []


def test_edit_of_a_clip_on_a_frozen_track_says_so_before_the_job(tmp_path: Path) -> None:
    live = live_set(tracks=[audio_track(), audio_track(slots=[clip()], frozen=True)],
                    detail_clip={"track": 1, "slot": 0})
    run = run_device([["type", "target", "glass"], ["edit"]], live, tmp_path)
    assert statuses(run)[-1] == ("Track 2 (Audio) is frozen, and Live adds no clips to a frozen "
                                 "track: unfreeze it, then try again")
    assert sent(run, "/sa/edit") == []


# ----------------------------------------------------- fields changed during a job


def test_clips_are_named_and_placed_as_the_request_was_made(tmp_path: Path) -> None:
    steps = [*generate_steps(place=0), ["type", "prompt", "thunder"], ["place", 1],
             ["/sa/done", "$JOB", "C:/out/rain_1.wav"]]
    run = run_device(steps, live_set(), tmp_path)
    (made,) = created_clips(run)
    assert made["name"] == PROMPT
    assert run["tracks"][0]["slots"][0] is not None  # Session, as when Generate was pressed
    assert run["tracks"][0]["arrangement"] == []


# ------------------------------------------------------ files that come in late


def test_files_of_a_job_given_up_on_are_still_reported(tmp_path: Path) -> None:
    steps = [*generate_steps(), ["/sa/accepted", "$JOB", 0], ["tick", SILENCE_MS + 1],
             ["tick", ACK_MS + 1], ["/sa/done", "$JOB", "C:/out/rain_1.wav"]]
    run = run_device(steps, live_set(), tmp_path)
    job_id = sent(run, "/sa/generate")[0][0]
    assert statuses(run)[-1] == (f"Job {job_id} finished after the device had stopped waiting "
                                 "for it; its files are on disk: C:/out/rain_1.wav")
    assert created_clips(run) == []
