import json

import pytest
from semanticaudio.engine.data import ManifestError, manifest_digest, read_manifest


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines))
    return path


def test_entries_resolve_paths_and_read_optional_fields(tmp_path):
    absolute = tmp_path / "elsewhere" / "b.wav"
    manifest = write_lines(tmp_path / "m.jsonl", [
        json.dumps({"audio": "audio/a.wav", "caption": "a dog barks"}),
        "",
        json.dumps({"audio": str(absolute), "caption": "rain", "offset_s": 1.5,
                    "duration_s": 2}),
    ])
    first, second = read_manifest(manifest)
    assert first.audio_path == tmp_path / "audio" / "a.wav"
    assert (first.offset_s, first.duration_s, first.line_number) == (0.0, None, 1)
    assert second.audio_path == absolute
    assert (second.offset_s, second.duration_s, second.line_number) == (1.5, 2.0, 3)


@pytest.mark.parametrize(("line", "words"), [
    ("{not json", "not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ('{"audio": "a.wav"}', "missing keys ['caption']"),
    ('{"audio": "a.wav", "caption": "x", "speed": 2}', "unknown keys ['speed']"),
    ('{"audio": "a.wav", "caption": "x", "offset_s": -1}', "'offset_s' must be"),
    ('{"audio": "a.wav", "caption": "x", "duration_s": 0}', "'duration_s' must be"),
    ('{"audio": "", "caption": "x"}', "'audio' must be a non-empty path"),
    ('{"audio": "a.wav", "caption": 3}', "'caption' must be text"),
])
def test_a_malformed_line_is_named_with_its_number(tmp_path, line, words):
    manifest = write_lines(tmp_path / "m.jsonl", ['{"audio": "ok.wav", "caption": "fine"}', line])
    with pytest.raises(ManifestError) as error:
        read_manifest(manifest)
    assert f"{manifest}:2" in str(error.value) and words in str(error.value)


def test_missing_or_empty_manifests_are_errors(tmp_path):
    with pytest.raises(ManifestError, match="does not exist"):
        read_manifest(tmp_path / "none.jsonl")
    with pytest.raises(ManifestError, match="holds no clips"):
        read_manifest(write_lines(tmp_path / "empty.jsonl", ["", "  "]))


def test_digest_follows_the_bytes(tmp_path):
    a = write_lines(tmp_path / "a.jsonl", ['{"audio": "x.wav", "caption": "x"}'])
    b = write_lines(tmp_path / "b.jsonl", ['{"audio": "x.wav", "caption": "y"}'])
    assert manifest_digest(a) != manifest_digest(b)
    assert manifest_digest(a) == manifest_digest(a)


def test_a_line_that_is_not_utf8_is_named_and_a_byte_order_mark_is_accepted(tmp_path):
    manifest = tmp_path / "m.jsonl"
    good = b'{"audio": "a.wav", "caption": "rain"}\n'
    manifest.write_bytes(good + '{"audio": "b.wav", "caption": "café"}\n'.encode("latin-1"))
    with pytest.raises(ManifestError, match=rf"{manifest}:2: not UTF-8 text \(byte 0xe9"):
        read_manifest(manifest)
    manifest.write_bytes(b"\xef\xbb\xbf" + good)  # as Windows Notepad and Excel save UTF-8
    assert read_manifest(manifest)[0].caption == "rain"
