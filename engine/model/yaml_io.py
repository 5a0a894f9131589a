"""YAML reading with YAML 1.2 number rules.

PyYAML follows YAML 1.1, where an unquoted ``36:36:36`` is the base-60 integer
131796 — exactly what a Gavel cluster spec looks like.  This loader drops the
sexagesimal forms so such values stay strings, reports syntax errors with a line
number, and rejects a key given twice in one mapping (naming both lines).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError


class _DuplicateKey(yaml.YAMLError):
    """A mapping names the same key twice (YAML says keys are unique; PyYAML keeps the last)."""

    def __init__(self, key: Any, first: int, second: int) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key, self.first, self.second = key, first, second


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """As SafeLoader's, but a key given twice in one mapping is an error, not the last
        one silently winning (a scenario with two ``placement:`` lines runs one of them)."""
        if isinstance(node, yaml.MappingNode):
            self.flatten_mapping(node)
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.get(key)
                except TypeError:   # an unhashable key: SafeLoader's own error follows
                    continue
                line = key_node.start_mark.line + 1
                if first is not None:
                    raise _DuplicateKey(key, first, line)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT, _FLOAT)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
                       r"|\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def parse_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    except _DuplicateKey as exc:
        raise InputError(f"{source}:{exc.second}", f"duplicate key {exc.key!r} (first given on line "
                         f"{exc.first}; each key may appear once in a mapping)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(where, f"invalid YAML ({problem})") from None


def read_yaml(path: Path) -> Any:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise InputError(str(path), "file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"cannot read file ({exc})") from None
    return parse_yaml(text, str(path))


def parse_scalar(text: str, source: str) -> Any:
    """A ``--set`` value: a YAML scalar (or flow list/map, e.g. ``[0, 100]``)."""
    if text == "":
        return ""
    return parse_yaml(text, source)
