"""The feature cache: frozen-encoder outputs computed once per manifest, read by training."""
