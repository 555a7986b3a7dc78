"""Training the paper's stages from a feature cache: stage 1 (synthesizer + head), stage 2
(planner) and the Base model, on one process or many (DDP under torchrun)."""
