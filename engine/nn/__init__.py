"""Reusable layers (attention, rotary embeddings, modulation); assembled models live in models/."""
