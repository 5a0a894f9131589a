"""The max-min-fairness LP over job classes (policies/classes.py) has the per-job LP's
optimal value, and its allocation keeps every per-job constraint."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fragscope.policies import AllocationInputs
from fragscope.policies.base import proportional_allocation
from fragscope.policies.max_min_fairness import MaxMinFairness, MaxMinFairnessPerf

TYPES = ["k80", "p100", "t4", "v100"]


def _instance(draw_seed: int, n_jobs: int, n_classes: int, sharing: bool) -> AllocationInputs:
    rng = np.random.default_rng(draw_seed)
    pool_t = rng.uniform(0.5, 20.0, size=(n_classes, len(TYPES))) * (rng.random((n_classes, len(TYPES))) > 0.2)
    pool_t[:, -1] = np.maximum(pool_t[:, -1], 1.0)       # every class can run somewhere
    scale = rng.choice([1, 1, 1, 2, 4], size=n_classes)
    milli = np.where(scale == 1, rng.choice([250, 500, 1000], size=n_classes), 1000)
    weight = rng.choice([1.0, 1.0, 5.0], size=n_classes)
    cls = rng.integers(n_classes, size=n_jobs)
    ids = list(range(n_jobs))
    return AllocationInputs(
        job_ids=ids, worker_types=list(TYPES),
        throughputs={j: {w: float(pool_t[cls[j], k]) for k, w in enumerate(TYPES)} for j in ids},
        scale_factors={j: int(scale[cls[j]]) for j in ids},
        priority_weights={j: float(weight[cls[j]]) for j in ids},
        cluster_spec={w: int(c) for w, c in zip(TYPES, rng.integers(2, 12, size=len(TYPES)))},
        num_steps_remaining={j: 1000.0 for j in ids}, times_since_start={j: 0.0 for j in ids},
        gpu_demands={j: float(scale[cls[j]] * milli[cls[j]] / 1000) for j in ids} if sharing else None)


def _value(policy, inputs: AllocationInputs, x: np.ndarray) -> float:
    """min_i Σ_k c_ik x_ik with Gavel's coefficients (MaxMinFairness_Perf's arithmetic)."""
    t = policy._throughputs(inputs)
    m = t.shape[0]
    prop = np.sum(t * proportional_allocation(inputs, m), axis=1)
    w = np.array([1.0 / inputs.priority_weights[j] for j in inputs.job_ids]) / prop
    c = t * w[:, None] * inputs.scale_factor_matrix()
    return float((c * x).sum(axis=1).min())


def _solve(policy, inputs, gavel_exact: bool) -> np.ndarray:
    policy.gavel_exact = gavel_exact   # False: round mode, solved over job classes
    alloc = policy.get_allocation(inputs)
    return np.array([[alloc[j][w] for w in inputs.worker_types] for j in inputs.job_ids])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10 ** 6), n_jobs=st.integers(1, 60), n_classes=st.integers(1, 6),
       sharing=st.booleans(), agnostic=st.booleans())
def test_class_lp_value_equals_the_per_job_lp_and_every_constraint_holds(seed, n_jobs, n_classes, sharing,
                                                                         agnostic):
    inputs = _instance(seed, n_jobs, n_classes, sharing)
    policy = MaxMinFairness() if agnostic else MaxMinFairnessPerf()
    per_job = _solve(policy, inputs, gavel_exact=True)
    by_class = _solve(policy, inputs, gavel_exact=False)
    a, b = _value(policy, inputs, per_job), _value(policy, inputs, by_class)
    assert abs(a - b) <= 1e-6 * max(abs(a), 1e-12)
    demand = inputs.capacity_matrix()[:, 0]
    assert (by_class >= -1e-9).all() and (by_class.sum(axis=1) <= 1 + 1e-6).all()
    assert (demand @ by_class <= np.array(inputs.num_workers()) * (1 + 1e-6) + 1e-6).all()


def test_jobs_of_one_class_get_equal_shares():
    inputs = _instance(7, 40, 3, True)
    x = _solve(MaxMinFairnessPerf(), inputs, gavel_exact=False)
    rows = {}
    for j in inputs.job_ids:
        key = (tuple(inputs.throughputs[j].values()), inputs.scale_factors[j], inputs.gpu_demands[j],
               inputs.priority_weights[j])
        rows.setdefault(key, []).append(x[j])
    assert all(np.array_equal(r[0], other) for r in rows.values() for other in r)


def test_round_mode_always_solves_over_classes_and_gavel_mode_never(monkeypatch):
    import fragscope.policies.classes as classes
    import fragscope.policies.max_min_fairness as mmf
    calls = []
    real = classes.reduce_to_classes
    monkeypatch.setattr(mmf, "reduce_to_classes", lambda *a: calls.append(1) or real(*a))
    policy = MaxMinFairnessPerf()
    policy.gavel_exact = False
    policy.get_allocation(_instance(3, 2, 2, True))
    assert calls == [1]
    policy.gavel_exact = True                       # Gavel's own mode: the per-job LP
    policy.get_allocation(_instance(3, 300, 3, True))
    assert calls == [1]
