import platform

import torch
from semanticaudio.engine.devices import describe_device


def test_a_cpu_is_described_by_its_processor_and_threads():
    processor = platform.processor() or platform.machine()
    expected = f"cpu ({processor}, {torch.get_num_threads()} threads)"
    assert describe_device("cpu") == expected
    assert describe_device(torch.device("cpu")) == expected
