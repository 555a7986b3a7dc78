"""``python -m semanticaudio.engine.cli …`` runs ``sa`` (what ``torchrun -m`` needs for DDP)."""

import sys

from semanticaudio.engine.cli import main

sys.exit(main())
