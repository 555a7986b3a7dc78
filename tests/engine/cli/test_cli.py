import argparse
import io
import re
import subprocess
import sys

import pytest
import soundfile
from semanticaudio.engine.cli import build_parser, main
from semanticaudio.engine.cli.common import progress_bar


def test_help_imports_nothing_heavy():
    code = (
        "import sys\n"
        "from semanticaudio.engine.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('torch', 'transformers', 'dac', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
    assert "generate" in out.stdout and "edit" in out.stdout


def test_every_commands_help_answers_without_torch():
    code = (
        "import sys\n"
        "from semanticaudio.engine.cli import COMMANDS, main\n"
        "for name in COMMANDS:\n"
        "    try:\n        main([name, '--help'])\n    except SystemExit as stop:\n"
        "        assert stop.code == 0, name\n"
        "    assert 'torch' not in sys.modules, name\n"
        "print('DONE', len(COMMANDS))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "DONE" in out.stdout and "usage: sa presets" in out.stdout


def test_generate_edit_and_info_from_the_command_line(tiny_checkpoint_dir, tmp_path, capsys):
    out = tmp_path / "dog.wav"
    argv = ["generate", "a dog barks twice", "--duration", "1.5", "--seed", "1",
            "--variations", "2", "-o", str(out), "--model", str(tiny_checkpoint_dir)]
    assert main(argv) == 0
    paths = capsys.readouterr().out.split()
    assert paths == [str(tmp_path / "dog_v1.wav"), str(tmp_path / "dog_v2.wav")]
    info = soundfile.info(paths[0])
    assert info.samplerate == 16000 and info.frames == 24000 and info.subtype == "PCM_24"

    edited = tmp_path / "edited.wav"
    assert main(["edit", paths[0], "--source", "a dog barks twice", "--target", "a cat meows",
                 "--range", "0.5", "1.0", "-o", str(edited), "--seed", "2",
                 "--model", str(tiny_checkpoint_dir)]) == 0
    assert soundfile.info(str(edited)).frames == 24000

    assert main(["info", str(tiny_checkpoint_dir)]) == 0
    text = capsys.readouterr().out
    assert "tiny-semanticaudio" in text and "planner" in text and "16000 Hz" in text


def test_outputs_are_never_overwritten(tiny_checkpoint_dir, tmp_path, capsys):
    out = tmp_path / "keep.wav"
    out.write_bytes(b"precious")
    code = main(["generate", "rain", "--duration", "0.5", "-o", str(out),
                 "--model", str(tiny_checkpoint_dir)])
    assert code == 1 and out.read_bytes() == b"precious"
    assert "exists; choose another name or pass --overwrite" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["generate", "rain", "--duration", "99"], "duration must be from 0.5 to 30.0"),
        (["edit", "/nonexistent.wav", "--target", "x"], "is not a readable audio file"),
        (["info"], "name a checkpoint folder"),
        (["info", "--size", "huge"], "unknown size 'huge'"),
    ],
)
def test_errors_are_plain_words_with_a_non_zero_exit(tiny_checkpoint_dir, argv, message, capsys):
    if argv[0] in ("generate",):
        argv = [*argv, "--model", str(tiny_checkpoint_dir)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_init_tiny_then_info_through_the_installed_entry_point(tmp_path):
    folder = tmp_path / "tiny"
    subprocess.run(["sa", "init-tiny", str(folder)], check=True, capture_output=True)
    out = subprocess.run(["sa", "info", "--size", "paper"], check=True, capture_output=True,
                         text=True).stdout
    assert "planner: 610.1 M parameters" in out
    assert (folder / "config.json").is_file() and (folder / "model.safetensors").is_file()


def test_presets_fill_prompts_and_settings_and_run_their_chain(tiny_checkpoint_dir, tmp_path,
                                                               capsys):
    model = ["--model", str(tiny_checkpoint_dir)]
    source = tmp_path / "car.wav"
    assert main(["generate", "a car passes by", "--duration", "1", "-o", str(source), *model,
                 "--steps", "2", "--seed", "0"]) == 0
    edited = tmp_path / "rainy.wav"
    assert main(["edit", str(source), "--source", "a car passes by", "--preset",
                 "weather-change", "--steps", "6", "-o", str(edited), *model]) == 0
    assert soundfile.info(str(edited)).frames == 16000
    phone = tmp_path / "phone.wav"
    assert main(["generate", "a man speaking", "--preset", "telephone", "--duration", "1",
                 "--steps", "2", "-o", str(phone), *model]) == 0
    assert (tmp_path / "phone_v2.wav").is_file()  # the preset asks for two variations
    data, rate = soundfile.read(str(tmp_path / "phone_v1.wav"))
    # 1 s and what the chain rings on after it (kept, as sa-engine keeps a generate's tail)
    assert rate == 16000 and 16000 <= len(data) < 24000 and abs(data).max() <= 1.0
    capsys.readouterr()
    assert main(["edit", str(source), "--preset", "telephone", *model]) == 1
    assert "is a generate preset; `sa edit` takes edit presets" in capsys.readouterr().err
    assert main(["edit", str(source), "--preset", "wether-change", *model]) == 1
    assert "weather-change" in capsys.readouterr().err  # did you mean


def test_fast_flag_runs_the_plain_path_on_the_cpu(tiny_checkpoint_dir, tmp_path, capsys):
    fast, plain = tmp_path / "fast.wav", tmp_path / "plain.wav"
    common = ["a bell", "--duration", "1", "--seed", "3", "--model", str(tiny_checkpoint_dir)]
    assert main(["generate", *common, "--fast", "-o", str(fast)]) == 0
    assert main(["generate", *common, "-o", str(plain)]) == 0
    assert (soundfile.read(str(fast))[0] == soundfile.read(str(plain))[0]).all()


def test_no_progress_bar_when_stderr_is_not_a_terminal(tiny_checkpoint_dir, tmp_path, capsys):
    out = tmp_path / "rain.wav"
    assert main(["generate", "rain", "--duration", "0.5", "--steps", "2", "--synth-steps", "2",
                 "--seed", "0", "-o", str(out), "--model", str(tiny_checkpoint_dir)]) == 0
    captured = capsys.readouterr()  # stderr is a capture here, as it is a pipe or a log file
    assert captured.out == f"{out}\n"
    assert "%" not in captured.err and "\r" not in captured.err


def test_an_unseeded_render_says_its_seed_so_that_it_can_be_rendered_again(
        tiny_checkpoint_dir, tmp_path, capsys):
    common = ["a bell", "--duration", "0.5", "--steps", "2", "--synth-steps", "2",
              "--model", str(tiny_checkpoint_dir)]
    first, again = tmp_path / "first.wav", tmp_path / "again.wav"
    assert main(["generate", *common, "-o", str(first)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{first}\n"  # stdout stays the paths alone, for scripts
    seed = re.search(r"seed (\d+) \(pass --seed \1 to render the same again\)", captured.err)
    assert seed is not None, captured.err
    assert main(["generate", *common, "--seed", seed.group(1), "-o", str(again)]) == 0
    assert "pass --seed" not in capsys.readouterr().err  # a seed given is not repeated
    assert (soundfile.read(str(first))[0] == soundfile.read(str(again))[0]).all()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_progress_bar(monkeypatch):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_bar("generate") as progress:
        progress(0.5, "plan")
    assert "generate" in terminal.getvalue() and "50%" in terminal.getvalue()


@pytest.mark.parametrize(("command", "options"), [
    ("generate", ["--duration", "--steps", "--cfg", "--synth-steps", "--seed", "--variations",
                  "--dtype", "--output"]),
    ("edit", ["--steps", "--n-max", "--n-min", "--n-avg", "--source-cfg", "--target-cfg",
              "--synth-steps", "--seed", "--variations", "--dtype", "--output"]),
])
def test_the_help_says_where_each_default_comes_from(command, options):
    parser = build_parser([command])
    subparser = next(action for action in parser._actions
                     if isinstance(action, argparse._SubParsersAction)).choices[command]
    helps = {flag: action.help for action in subparser._actions for flag in action.option_strings}
    for option in options:
        assert "default" in (helps[option] or ""), f"{option}: {helps[option]!r}"


def test_info_prints_the_sampling_defaults_the_help_points_to(tiny_checkpoint_dir,
                                                              tiny_base_checkpoint_dir, capsys):
    from semanticaudio.engine.checkpoint import load_checkpoint

    config = load_checkpoint(tiny_checkpoint_dir).config
    assert main(["info", str(tiny_checkpoint_dir)]) == 0
    out = capsys.readouterr().out
    sampling, flowedit = config.sampling, config.flowedit
    assert (f"sa generate defaults: --steps {sampling.planner_steps} --cfg "
            f"{sampling.planner_guidance:g} --synth-steps {sampling.synth_steps}\n") in out
    assert (f"sa edit defaults: --steps {flowedit.num_steps} --n-max {flowedit.n_max} "
            f"--n-min {flowedit.n_min} --n-avg {flowedit.n_avg}") in out
    base = load_checkpoint(tiny_base_checkpoint_dir).config.sampling
    assert main(["info", str(tiny_base_checkpoint_dir)]) == 0
    assert (f"sa generate defaults: --steps {base.base_steps} --cfg {base.base_guidance:g}\n"
            in capsys.readouterr().out)
