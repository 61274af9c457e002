"""A synthetic covenant region for demos and end-to-end tests (all people and firms fictitious).

``generate_region(out_dir, seed=..., size=...)`` writes each partner's export in its native
format, with planted trafficking patterns and background noise, and returns the ground truth.
Run ``python -m gateway.demo_data OUT_DIR --seed 1 --size small``.
"""

from gateway.demo_data.generate import SIZES, GroundTruth, generate_region

__all__ = ["SIZES", "GroundTruth", "generate_region"]
