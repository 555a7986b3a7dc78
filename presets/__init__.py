"""Built-in presets, as TOML data (schema: docs/presets.md). This folder holds no code."""
