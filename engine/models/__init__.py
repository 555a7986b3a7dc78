"""Assembled models: the DiT backbone, the projection head and the SemanticAudio container."""
