"""What one request may ask of the engine: the numbers every front door checks against (the
pipeline, `sa`, sa-engine's protocol and the presets). Plain constants, no torch: the daemon's
protocol and `sa-client` import them without loading a model."""

MIN_DURATION_S = 0.5  # the shortest clip generated or edited
MAX_DURATION_S = 30.0  # the longest; longer requests are refused, not cut
MAX_VARIATIONS = 8  # files rendered by one request
MAX_PROMPT_CHARS = 1000
MAX_STEPS = 1000  # sampling steps of either stage, and FlowEdit's grid
MAX_GUIDANCE = 50.0
# FlowEdit batches its noise draws: each costs a model pass per step, and beyond a few dozen the
# average no longer changes.
MAX_N_AVG = 64
