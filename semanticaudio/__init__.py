"""SemanticAudio for DAWs: text-driven sound generation and editing.

The distribution maps its top-level folders under this one namespace:
``semanticaudio.engine`` is ``engine/``, ``semanticaudio.bridge`` is ``bridge/`` and
``semanticaudio.presets`` is ``presets/`` (data only).
"""

__version__ = "0.1.0"
