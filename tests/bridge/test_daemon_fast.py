"""`sa-engine --fast` loads the optimised pipeline (the plain path on the CPU) and warms it up."""

from semanticaudio.bridge.daemon import DaemonConfig, build_parser, config_from_args, load_engine


def test_fast_flag_loads_the_fast_pipeline(tiny_checkpoint_dir):
    args = build_parser().parse_args(["--fast", "--device", "cpu",
                                      "--model", str(tiny_checkpoint_dir)])
    config = config_from_args(args)
    assert config == DaemonConfig(model_dir=tiny_checkpoint_dir, device="cpu", fast=True)
    pipeline = load_engine(config)
    assert type(pipeline).__name__ == "FastPipeline"
    assert pipeline.generate("a bell", 0.5, seed=0).waveforms.shape == (1, 8000)
