"""ProportionalShare: every job gets the same share of each GPU type it can run on, scaled
down where a type is oversubscribed.

An example allocation-policy plug-in (docs/plugins.md): one class, one ``allocate``
method returning a (jobs × GPU types) array of time fractions.  The framework checks it
(finite, >= 0, each row <= 1, Σ gpu_demand·x <= capacity per type) before the mechanism
turns it into rounds.  Run it with

    fragscope run plugins/proportional --out runs/proportional
"""

import numpy as np


class ProportionalShare:
    name = "proportional"
    # Gavel shuffles the GPU-type order each round for its heterogeneity-agnostic
    # policies; this one is agnostic too (it ignores throughput values).
    shuffle_gpu_types = True

    def allocate(self, problem):
        runnable = (problem.throughputs > 0).astype(float)
        used = problem.gpu_demand @ runnable                     # GPUs asked for, per type
        scale = np.minimum(1.0, problem.capacity / np.maximum(used, 1e-12))
        x = runnable * scale[None, :]
        return x / np.maximum(x.sum(axis=1, keepdims=True), 1.0)  # each job: at most all its time
