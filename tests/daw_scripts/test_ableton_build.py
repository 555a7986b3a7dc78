"""The Max for Live device's sources (SemanticAudio.maxpat + semanticaudio.js) fit together, and
build_amxd.py writes an .amxd that parses back into its chunks and holds the patcher."""

from __future__ import annotations

import importlib.util
import json
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ABLETON = Path(__file__).resolve().parents[2] / "daw_scripts" / "ableton"
MAXPAT = ABLETON / "SemanticAudio.maxpat"
JS = ABLETON / "semanticaudio.js"
DEVICE_HEIGHT_PX = 169  # every Max for Live device is this tall


def load_builder():
    spec = importlib.util.spec_from_file_location("build_amxd", ABLETON / "build_amxd.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_amxd"] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


builder = load_builder()


def patcher() -> dict:
    return json.loads(MAXPAT.read_text(encoding="utf-8"))["patcher"]


def boxes_by_id() -> dict[str, dict]:
    return {entry["box"]["id"]: entry["box"] for entry in patcher()["boxes"]}


def objects(prefix: str) -> list[dict]:
    return [b for b in boxes_by_id().values() if b.get("text", "").startswith(prefix)]


def test_every_patch_cord_joins_existing_inlets_and_outlets() -> None:
    boxes = boxes_by_id()
    for entry in patcher()["lines"]:
        src, outlet = entry["patchline"]["source"]
        dst, inlet = entry["patchline"]["destination"]
        assert outlet < boxes[src]["numoutlets"], entry
        assert inlet < boxes[dst]["numinlets"], entry
    for box in boxes.values():
        assert len(box.get("outlettype", [])) == box["numoutlets"], box["id"]


def test_js_object_matches_the_script() -> None:
    (js_box,) = objects("js ")
    assert js_box["text"] == f"js {JS.name}"
    script = JS.read_text(encoding="utf-8")
    declared = int(re.search(r"^outlets = (\d+);", script, re.M).group(1))
    assert js_box["numoutlets"] == declared
    assert {"name": JS.name, "type": "TEXT", "implicit": 1} in patcher()["dependency_cache"]


def test_every_message_the_patch_sends_to_the_js_is_a_function_there() -> None:
    boxes = boxes_by_id()
    (js_box,) = objects("js ")
    script = JS.read_text(encoding="utf-8")
    names = set()
    for entry in patcher()["lines"]:
        src, dst = entry["patchline"]["source"][0], entry["patchline"]["destination"][0]
        if dst != js_box["id"] or src == objects("udpreceive")[0]["id"]:
            continue
        text = boxes[src]["text"]
        names.add(text.split()[1] if text.startswith("prepend ") else text)
    assert names == {"init", "generate", "edit", "cancel", "ping", "prompt", "source", "target",
                     "duration", "variations", "preset", "folder", "place", "bootvolume"}
    for name in names:
        assert re.search(rf"^function {name}\(", script, re.M), name


def cords_from(box_id: str, outlet: int) -> list[tuple[str, int]]:
    return [tuple(e["patchline"]["destination"]) for e in patcher()["lines"]
            if e["patchline"]["source"] == [box_id, outlet]]


def test_text_fields_reach_the_js_through_prepend_only() -> None:
    # A [textedit] sends "text <contents>"; the js drops that first word, so nothing between
    # the field and the js may drop it first or add words of its own.
    boxes = boxes_by_id()
    (js_box,) = objects("js ")
    for field in ("prompt", "source", "target"):
        (edit_box,) = [b for b in boxes.values() if b.get("varname") == field]
        assert edit_box["maxclass"] == "textedit"
        ((prepend_id, _),) = cords_from(edit_box["id"], 0)
        assert boxes[prepend_id]["text"] == f"prepend {field}"
        assert cords_from(prepend_id, 0) == [(js_box["id"], 0)]


def test_the_js_asks_conformpath_for_the_boot_volume() -> None:
    boxes = boxes_by_id()
    (js_box,) = objects("js ")
    script = JS.read_text(encoding="utf-8")
    out_path = int(re.search(r"OUT_PATH = (\d+)", script).group(1))
    ((conform_id, _),) = cords_from(js_box["id"], out_path)
    assert boxes[conform_id]["text"] == "conformpath slash absolute"
    assert cords_from(conform_id, 1) == []  # its int outlet is not used
    ((prepend_id, _),) = cords_from(conform_id, 0)
    assert boxes[prepend_id]["text"] == "prepend bootvolume"
    assert cords_from(prepend_id, 0) == [(js_box["id"], 0)]


def test_osc_objects_and_audio_pass_through() -> None:
    (send,) = objects("udpsend")
    assert send["text"] == "udpsend 127.0.0.1 9000"
    (receive,) = objects("udpreceive")
    assert receive["text"].endswith("@defer 1")  # LiveAPI may only run on the low-priority thread
    (plugin,) = objects("plugin~")
    (plugout,) = objects("plugout~")
    cords = {(tuple(e["patchline"]["source"]), tuple(e["patchline"]["destination"]))
             for e in patcher()["lines"]}
    assert ((plugin["id"], 0), (plugout["id"], 0)) in cords
    assert ((plugin["id"], 1), (plugout["id"], 1)) in cords


def test_the_device_face_fits_live() -> None:
    p = patcher()
    assert p["openinpresentation"] == 1
    shown = [b for b in boxes_by_id().values() if b.get("presentation")]
    assert {b["maxclass"] for b in shown} >= {"textedit", "live.text", "live.numbox", "umenu",
                                              "slider", "comment", "live.tab"}
    for box in shown:
        x, y, w, h = box["presentation_rect"]
        assert min(x, y) >= 0, box["id"]
        assert x + w <= p["devicewidth"], box["id"]
        assert y + h <= DEVICE_HEIGHT_PX, box["id"]


def test_built_device_parses_back_into_its_chunks(tmp_path: Path) -> None:
    device_path = builder.build_device(MAXPAT, tmp_path / "out")
    data = device_path.read_bytes()
    assert data[:12] == b"ampf" + struct.pack("<I", 4) + b"aaaa"
    device = builder.parse_amxd(data)
    assert [c.tag for c in device.chunks] == ["ampf", "meta", "ptch"]
    assert device.device_type == "audio_effect"
    assert device.chunks[2].payload.endswith(b"\x00")
    assert device.patcher == json.loads(MAXPAT.read_text(encoding="utf-8"))
    assert (tmp_path / "out" / JS.name).read_bytes() == JS.read_bytes()  # beside the device


def test_command_line_builds_and_describes(tmp_path: Path) -> None:
    script = str(ABLETON / "build_amxd.py")
    build = subprocess.run([sys.executable, script, "build", "--out", str(tmp_path)],
                           capture_output=True, text=True, timeout=30, check=True)
    amxd = Path(build.stdout.strip())
    assert amxd == tmp_path / "SemanticAudio.amxd"
    parse = subprocess.run([sys.executable, script, "parse", str(amxd)],
                           capture_output=True, text=True, timeout=30, check=True)
    assert "device type: audio_effect" in parse.stdout
    assert f"patcher: {len(patcher()['boxes'])} objects" in parse.stdout


@pytest.mark.parametrize(("data", "complaint"), [
    (b"ampf\x04\x00\x00\x00aa", "claims 4 bytes; only 2 left"),
    (b"ampf\x04\x00", "truncated chunk header at byte 0"),
    (b"meta\x04\x00\x00\x00\x01\x00\x00\x00", "starts with an 'ampf' chunk"),
    (b"ampf\x04\x00\x00\x00xxxx", "unknown device type"),
    (b"ampf\x04\x00\x00\x00aaaaptch\x02\x00\x00\x00{x", "not patcher JSON"),
])
def test_broken_devices_are_named(data: bytes, complaint: str) -> None:
    with pytest.raises(builder.AmxdError, match=re.escape(complaint)):
        builder.parse_amxd(data)


def test_a_missing_dependency_is_named(tmp_path: Path) -> None:
    lone = tmp_path / "lone.maxpat"
    lone.write_text(MAXPAT.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(builder.AmxdError, match=r"needs semanticaudio\.js"):
        builder.build_device(lone, tmp_path / "out")
