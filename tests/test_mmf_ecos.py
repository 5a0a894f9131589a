"""The direct-ECOS MaxMinFairness path must equal cvxpy's bit for bit.

Both the problem data handed to ECOS and the returned allocation are compared
exactly, on random Gavel-like instances (zero throughputs, priority weights,
multi-GPU scale factors, one to three GPU types, a single job) and on a whole
simulation.
"""

from __future__ import annotations

import random

import cvxpy as cp
import numpy as np
import pytest

from fragscope import Simulation
from fragscope.model.jobs import JOB_TABLE
from fragscope.policies.mmf_ecos import build_ecos_data, solve_max_min
from fragscope.model.throughputs import builtin_path, load_throughputs
from conftest import SCENARIOS


def _instance(rng: random.Random):
    table = load_throughputs(builtin_path("simulation"))
    while True:
        m = rng.choice([1, 2, 3, 7, 40, 120])
        types = sorted(rng.sample(["k80", "p100", "v100"], rng.choice([1, 2, 3])))
        agnostic = rng.random() < 0.3
        rows, scales, weights = [], [], []
        for _ in range(m):
            sf = rng.choice([1, 1, 1, 2, 4, 8])
            t = rng.choice([t for t in JOB_TABLE if sf == 1 or t.distributed])
            rows.append([1.0 if agnostic else table.get(w, (t.model, sf)) for w in types])
            scales.append([float(sf)] * len(types))
            weights.append(rng.choice([1.0, 1.0, 5.0]))
        T, S = np.array(rows), np.array(scales)
        spec = [rng.randint(1, 40) for _ in types]
        xp = np.array([[spec[k] / m for k in range(len(types))] for _ in range(m)])
        xp = xp / np.sum(xp, axis=1).max()
        P = np.sum(np.multiply(T, xp), axis=1).reshape((m, 1))
        if (P == 0).any():
            continue
        pw = np.multiply(np.array([1. / w for w in weights]).reshape((m, 1)), 1.0 / P)
        return np.multiply(T * pw.reshape((m, 1)), S), S, spec


@pytest.mark.parametrize("seed", range(40))
def test_direct_ecos_data_and_solution_equal_cvxpy(seed):
    C, S, spec = _instance(random.Random(seed))
    m, n = C.shape
    x = cp.Variable((m, n))
    problem = cp.Problem(cp.Maximize(cp.min(cp.sum(cp.multiply(C, x), axis=1))),
                         [x >= 0, cp.sum(cp.multiply(S, x), axis=0) <= spec, cp.sum(x, axis=1) <= 1])
    data, _, _ = problem.get_problem_data(cp.ECOS)
    c, G, h, dims = build_ecos_data(C, S, spec)
    ref = data["G"]
    assert np.array_equal(c, data["c"]) and np.array_equal(h, data["h"])
    assert np.array_equal(G.indptr, ref.indptr) and np.array_equal(G.indices, ref.indices)
    assert np.array_equal(G.data, ref.data) and dims["l"] == data["dims"].nonneg
    problem.solve(solver="ECOS")
    ours, status = solve_max_min(C, S, spec)
    assert status == problem.status == "optimal"
    assert np.array_equal(ours, x.value)


def test_whole_run_identical_with_cvxpy_path(tmp_path):
    def run(direct: bool):
        sim = Simulation.from_scenario(SCENARIOS / "gavel" / "t2-mmf.yaml")
        sim.state.policy.direct = direct
        sim.run_to_end()
        return sim.state.jct
    assert run(True) == run(False)
