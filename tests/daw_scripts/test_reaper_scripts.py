"""The REAPER scripts as files: they compile, their ReaPack package lists every one of them,
and the helper module's pure parts (JSON, numbers, regions, quoting) behave."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from .daw_reaper_harness import ACTIONS, REAPER_DIR, lua_literal, run_action, write_wav

LIB = REAPER_DIR / "semanticaudio_lib.lua"
LUA_FILES = sorted(REAPER_DIR.glob("*.lua"))


def run_lua(code: str, tmp_path: Path) -> str:
    """Run `code` in lua5.4 with the helper module loaded as SA; returns stdout."""
    script = tmp_path / "snippet.lua"
    script.write_text(f"local SA = dofile({lua_literal(str(LIB))})\n{code}\n", encoding="utf-8")
    proc = subprocess.run(["lua5.4", str(script)], capture_output=True, text=True, timeout=10)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("path", LUA_FILES, ids=lambda p: p.name)
def test_every_script_compiles_with_luac(path: Path) -> None:
    proc = subprocess.run(["luac5.4", "-p", str(path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_reapack_package_provides_exactly_the_files_in_the_folder() -> None:
    main = (REAPER_DIR / ACTIONS["generate"]).read_text(encoding="utf-8")
    for tag in ("@description", "@version", "@author", "@changelog", "@provides", "@about"):
        assert f"-- {tag}" in main, f"ReaPack header {tag} missing"
    provided = {
        name: kind for kind, name in re.findall(r"^--\s+\[(main|nomain)\] (.+\.lua)$", main, re.M)
    }
    others = {p.name for p in LUA_FILES} - {ACTIONS["generate"]}
    assert set(provided) == others
    for action in ACTIONS.values():
        if action != ACTIONS["generate"]:
            assert provided[action] == "main"
    assert {n for n, k in provided.items() if k == "nomain"} == {
        p.name for p in LUA_FILES if p.name.startswith("semanticaudio_")
    }
    for name in others:  # one package: the other files carry no header of their own
        assert (REAPER_DIR / name).read_text(encoding="utf-8").startswith("-- @noindex")


def test_json_reader_matches_python_json(tmp_path: Path) -> None:
    value = {"ok": False, "code": "bad_path", "message": 'no file "a,b" \\ é ☃ 🎧',
             "paths": ["/x/y z.wav"], "n": -1.5e-3, "nested": [[], {}, None, True, 12]}
    text = json.dumps(value)  # escapes non-ASCII as \\uXXXX, emoji as a surrogate pair
    out = run_lua(
        f"local v = assert(SA.json_decode({lua_literal(text)}))\n"
        "print(v.ok, v.code, v.message, v.paths[1], v.n, #v.nested, v.nested[3] == SA.json_null,"
        " v.nested[4], v.nested[5])",
        tmp_path,
    )
    assert out.split("\t") == [
        "false", "bad_path", value["message"], "/x/y z.wav", "-0.0015", "5", "true", "true",
        "12\n",
    ]


@pytest.mark.parametrize("bad", ['{"a": 1', '{"a" 1}', "[1, 2] x", '"\\q"', ""])
def test_json_reader_reports_broken_text(bad: str, tmp_path: Path) -> None:
    out = run_lua(f"print(SA.json_decode({lua_literal(bad)}))", tmp_path)
    value, message = out.rstrip("\n").split("\t")
    assert value == "nil"
    assert message.startswith("JSON:")


def test_numbers_for_the_command_line_keep_sub_microsecond_precision(tmp_path: Path) -> None:
    out = run_lua("for _, x in ipairs({5, 0.5, 1/3, 12.25}) do print(SA.num(x)) end", tmp_path)
    assert out.split() == ["5.0", "0.5", "0.333333333", "12.25"]


def test_region_is_the_selection_inside_the_item_in_source_seconds(tmp_path: Path) -> None:
    code = """
local span = { position_s = 10, item_length_s = 4, playrate = 2 }
local function show(a, b)
  local r = SA.region_in_span(span, a, b)
  print(r and (SA.num(r.start_s) .. " " .. SA.num(r.end_s)) or "whole")
end
show(11, 12)      -- inside: 1..2 item seconds = 2..4 source seconds
show(9, 12)       -- overlaps the start: clipped to the item
show(10, 14)      -- the whole item: no region
show(0, 0)        -- no selection
show(20, 30)      -- misses the item
"""
    assert run_lua(code, tmp_path).splitlines() == ["2.0 4.0", "0.0 4.0", "whole", "whole", "whole"]


NASTY = "it's a \"dog\", barking; $HOME `id` \\ 100% & é ☃"


def test_posix_quoting_survives_a_real_shell(tmp_path: Path) -> None:
    code = f"""
reaper = {{ GetOS = function() return "Other" end }}
print(SA.command_line({{ "printf", "[%s]\\\\n", {lua_literal(NASTY)}, "", "a b" }}))
"""
    line = run_lua(code, tmp_path).rstrip("\n")
    proc = subprocess.run(["/bin/sh", "-c", line], capture_output=True, text=True, timeout=10)
    assert proc.stdout.splitlines() == [f"[{NASTY}]", "[]", "[a b]"]


def test_windows_quoting_doubles_quotes_and_percent_signs(tmp_path: Path) -> None:
    code = """
reaper = { GetOS = function() return "Win64" end }
print(SA.command_line({ [[C:\\Program Files\\sa-client.exe]], [[say "hi" 100%]], [[C:\\dir\\]] }))
"""
    assert run_lua(code, tmp_path).rstrip("\n") == (
        '"C:\\Program Files\\sa-client.exe" "say ""hi"" 100%%" "C:\\dir\\\\"'
    )


def test_background_script_hands_every_argument_to_the_client_intact(tmp_path: Path) -> None:
    """Real mode: ExecProcess really runs the written script through /bin/sh, with a client
    path and a prompt full of shell metacharacters; the client must receive them verbatim."""
    client_dir = tmp_path / "my client's dir"
    client_dir.mkdir()
    client = client_dir / "sa-client"
    fake = Path(__file__).with_name("fake_sa_client.py")
    client.write_text(f'#!/bin/sh\nexec python3 "{fake}" "$@"\n', encoding="utf-8")
    client.chmod(0o755)
    wav = write_wav(tmp_path / "out.wav", 1.0)
    log = tmp_path / "argv.jsonl"
    run = run_action(
        "generate",
        {"mode": "real", "project": {"cursor": 0.0, "tracks": [{"selected": True}]},
         "ext": {"SemanticAudio/client": str(client)}, "inputs": [[NASTY, "1", "1", ""]]},
        tmp_path, env={"FAKE_SA_LOG": str(log), "FAKE_SA_WAV": str(wav)},
    )
    argv = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert argv[argv.index("generate") + 1] == NASTY
    assert run.tracks[0]["items"][0]["takes"][0]["file"] == str(wav)


def test_short_names_are_cut_between_utf8_characters(tmp_path: Path) -> None:
    code = """
local function show(text, max_chars)
  local name = SA.short_name(text, max_chars)
  print(utf8.len(name) or "invalid", name)
end
show(string.rep("雨", 30))       -- 90 bytes, 30 characters: short enough, kept whole
show(string.rep("雨", 100), 10)  -- cut after 7 characters, then "..."
show("é\\255 dog\\192", 8)       -- invalid bytes become U+FFFD, never a crash
"""
    assert run_lua(code, tmp_path).splitlines() == [
        "30\t" + "雨" * 30, "10\t" + "雨" * 7 + "...", "7\té\ufffd dog\ufffd"]


CMD_SPECIAL = set('&<>()@^|')


def cmd_c_remainder(remainder: str) -> str:
    """What cmd.exe runs for `cmd.exe /C <remainder>`, by the quote rule `cmd /?` documents:
    the quotes are kept only when there are exactly two, with whitespace and none of &<>()@^|
    between them; otherwise a leading quote and the last quote are removed."""
    remainder = remainder.lstrip()
    if remainder.count('"') == 2:
        inner = remainder.split('"')[1]
        if not CMD_SPECIAL & set(inner) and any(ch.isspace() for ch in inner):
            return remainder
    if remainder.startswith('"'):
        last = remainder.rindex('"')
        return remainder[1:last] + remainder[last + 1:]
    return remainder


def cmd_program(command: str) -> str | None:
    """The program cmd.exe starts for `command` when it is one word: a quoted path, or a bare
    one without whitespace or &<>()@^| (which would split it); None otherwise."""
    if command.startswith('"'):
        inner, _, rest = command[1:].partition('"')
        return inner if rest == "" else None
    if CMD_SPECIAL & set(command) or any(ch.isspace() for ch in command):
        return None
    return command


@pytest.mark.parametrize("resource", [
    r"C:\Users\Ann Lee\AppData\Roaming\REAPER",
    r"D:\REAPER (portable)",  # parentheses, as a portable install may have
    r"C:\Users\R&D\AppData\Roaming\REAPER",
    r"C:\Users\Zoë\AppData\Roaming\REAPER",
])
def test_windows_launch_line_names_the_script_as_one_quoted_word(
    resource: str, tmp_path: Path
) -> None:
    script = resource + r"\Data\SemanticAudio\jobs\ab12cd34ef56\run.cmd"
    code = f"""
reaper = {{ GetOS = function() return "Win64" end }}
local line, wait = SA.launch_line({{ files = {{ script = {lua_literal(script)} }} }})
print(wait)
io.write(line)
"""
    wait, line = run_lua(code, tmp_path).split("\n", 1)
    assert wait == "-2"  # no wait, console minimised
    program, switch, remainder = line.split(" ", 2)
    assert (program, switch) == ("cmd.exe", "/C")
    assert cmd_program(cmd_c_remainder(remainder)) == script



def test_client_not_found_names_a_windows_path_as_typed(tmp_path: Path) -> None:
    client = r"C:\Users\me\sa\Scripts\sa-client.exe"
    exit_file = tmp_path / "exit.txt"
    exit_file.write_text("9009 \r\n", encoding="utf-8")  # cmd.exe: command not found
    files = {name: str(tmp_path / f"{name}.txt") for name in ("result", "stderr", "progress")}
    code = f"""
reaper = {{ GetOS = function() return "Win64" end, time_precise = function() return 1 end }}
local files = {lua_literal(files | {"exit": str(exit_file)})}
local look = SA.poll_job({{ files = files, argv = {{ {lua_literal(client)} }}, started_s = 0,
                           timeout_s = 10 }})
io.write(look.result.code, "\\n", look.result.message)
"""
    code_line, message = run_lua(code, tmp_path).split("\n", 1)
    assert code_line == "client_not_found"
    assert f'The sa-client program "{client}" was not found' in message
