import pytest
from semanticaudio.engine.features.components import read_component_specs


def test_a_checkpoint_folder_names_its_components_by_absolute_path(tiny_checkpoint_dir):
    specs = read_component_specs(tiny_checkpoint_dir)
    assert set(specs) == {"codec", "semantic_encoder", "text_global", "text_tokens"}
    assert specs["codec"] == {"kind": "dacvae", "path": str(tiny_checkpoint_dir / "codec")}


def test_a_toml_file_resolves_local_paths_and_keeps_hub_ids(tmp_path, tiny_checkpoint_dir):
    (tmp_path / "codec").mkdir()
    (tmp_path / "parts.toml").write_text(
        '[codec]\nkind = "dacvae"\npath = "codec"\n'
        '[semantic_encoder]\nkind = "pe-a-frame"\npath = "facebook/pe-a-frame-large"\n'
        '[text_tokens]\nkind = "t5"\npath = "google/flan-t5-large"\n'
        '[text_global]\nkind = "clap"\npath = "laion/clap-htsat-unfused"\n'
    )
    specs = read_component_specs(tmp_path / "parts.toml")
    assert specs["codec"]["path"] == str((tmp_path / "codec").resolve())
    assert specs["semantic_encoder"]["path"] == "facebook/pe-a-frame-large"


def test_the_shipped_paper_components_file_names_the_published_models():
    from semanticaudio.engine.training.config import CONFIGS_DIR

    specs = read_component_specs(CONFIGS_DIR / "paper_components.toml")
    assert specs["codec"] == {"kind": "dacvae", "path": "facebook/dacvae-watermarked"}
    assert specs["semantic_encoder"]["path"] == "facebook/pe-a-frame-large"


def test_missing_roles_and_unknown_sources_are_explained(tmp_path):
    (tmp_path / "components.json").write_text('{"codec": {"kind": "dacvae", "path": "x"}}')
    with pytest.raises(ValueError, match="missing \\['semantic_encoder'"):
        read_component_specs(tmp_path)
    with pytest.raises(FileNotFoundError, match="names no components"):
        read_component_specs(tmp_path / "nothing")


def test_a_components_digest_covers_what_its_loader_reads_and_nothing_else(tmp_path):
    from semanticaudio.engine.components.dacvae import DacVae
    from semanticaudio.engine.features.components import component_digests

    folder = tmp_path / "codec"
    DacVae.build_tiny(seed=0).save_pretrained(folder)
    spec = {"codec": {"kind": "dacvae", "path": str(folder)}}
    before = component_digests(spec)
    (folder / "README.md").write_text("downloaded with the snapshot")
    (folder / "pytorch_model.bin").write_bytes(b"a pickle the engine never loads")
    assert component_digests(spec) == before
    DacVae.build_tiny(seed=1).save_pretrained(folder)  # other weights behind the same path
    assert component_digests(spec) != before
