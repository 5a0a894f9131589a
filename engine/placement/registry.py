"""The one registry of placements: built-ins and users' plug-ins alike.

Built-ins register in fragscope's own ``pyproject.toml`` under the entry-point group
``fragscope.placements`` — the same way a third-party package registers its own — so
adding a built-in is one module plus one line there.  A user's class is named by
``file.py:Class`` or ``module:Class`` (see :mod:`fragscope.plugins`).
"""

from __future__ import annotations

from functools import lru_cache

from ..plugins import PluginRef, Registry

GROUP = "fragscope.placements"
REGISTRY = Registry("placement", GROUP, required="score")


def placement_names() -> tuple[str, ...]:
    """Every registered placement name (built-ins and installed packages), sorted."""
    return REGISTRY.names()


def canonical_name(spec: str) -> str:
    """A registered placement's entry name for any of its spellings (``GpuPacking`` →
    ``packing``); unknown names raise InputError."""
    return REGISTRY.resolve(spec, where="placement").entry or spec


@lru_cache(maxsize=64)
def asks_exclusive(ref: PluginRef) -> bool:
    """Whether a placement asks for Gavel's exclusive GPU assignment when sharing is off
    (``gavel_exclusive = True``: Gavel's first fit).  Asked every round: cached."""
    return bool(getattr(REGISTRY.load(ref), "gavel_exclusive", False))


def load_placement(spec: str, where: str = "placement") -> type:
    """The class a placement name or plug-in reference (``file.py:Class``, ``module:Class``)
    names, imported and checked; an InputError naming ``where`` otherwise.

    Why: a command that will fork onto a placement later (``fragscope snapshot
    --fork-placement``) checks the name before any round runs, so a typo fails at once."""
    return REGISTRY.load(REGISTRY.resolve(spec, where=where))
