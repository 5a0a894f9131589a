"""The one registry of allocation policies: built-ins and users' plug-ins alike.

Built-ins register in fragscope's ``pyproject.toml`` under the entry-point group
``fragscope.policies`` (Gavel's CLI names), exactly as a third-party package would; a
user's class is named by ``file.py:Class`` or ``module:Class`` (:mod:`fragscope.plugins`).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..plugins import PluginRef, Registry

GROUP = "fragscope.policies"
REGISTRY = Registry("policy", GROUP, required="allocate")


def policy_names() -> tuple[str, ...]:
    """Every registered policy name (built-ins and installed packages), sorted."""
    return REGISTRY.names()


def make_policy(policy: str | PluginRef, solver: str = "ECOS", seed: int = 0,
                params: dict | None = None) -> Any:
    """A ready policy: built from its name or reference with ``params``, then given the
    run's solver, seed and a generator seeded from it (``run.rng``) through its optional
    ``setup(run)``."""
    ref = policy if isinstance(policy, PluginRef) else REGISTRY.resolve(policy, where="policy")
    obj = REGISTRY.create(ref, params)
    setup = getattr(obj, "setup", None)
    if callable(setup):
        import numpy as np

        from ..plugin_rng import call_plugin
        from ..plugins import PluginError, failure, owns
        # run.rng: the seeded source a policy draws from (never the global random state)
        run = SimpleNamespace(solver=solver, seed=seed, rng=np.random.default_rng([seed, 0x901]))
        try:
            call_plugin(owns(ref), setup, run)
        except PluginError:
            raise
        except (Exception, SystemExit) as exc:  # noqa: BLE001
            raise failure(ref, "setup() raised", exc) from None
    return obj


def load_policy(spec: str, where: str = "policy") -> type:
    """The class a policy name or plug-in reference names, imported and checked; an
    InputError naming ``where`` otherwise (see :func:`fragscope.placement.registry.load_placement`)."""
    return REGISTRY.load(REGISTRY.resolve(spec, where=where))
