"""Gavel's walk order: per type, (priority, deficit, allocation) descending with ties
in job order.  The engine sorts with numpy; this pins it to Python's sort."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from fragscope.core.mechanism import priority_queue

values = st.sampled_from([0.0, -0.0, 1e-9, 2e-10, 0.5, 1.0, 3.0, 1e9, -2.5, 0])


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_priority_queue_matches_a_stable_reverse_sort(data):
    types = ["v100", "p100", "k80"]
    ids = data.draw(st.lists(st.integers(0, 50), unique=True, max_size=30))
    in_alloc = data.draw(st.sets(st.sampled_from(ids))) if ids else set()
    priorities = {w: {j: data.draw(values) for j in ids} for w in types}
    s = SimpleNamespace(
        priorities=priorities, priority_dicts=lambda: priorities,
        deficits={w: {j: data.draw(values) for j in ids} for w in types},
        allocation={j: {w: data.draw(values) for w in types} for j in in_alloc},
        throughputs={j: {w: data.draw(st.sampled_from([0.0, 1.5])) for w in types} for j in ids})
    order = data.draw(st.permutations(types))
    fifo = data.draw(st.booleans())
    expected = []
    for w in order:
        entries = [(j, w, p, s.deficits[w][j], s.allocation[j][w] if j in s.allocation else 0.0)
                   for j, p in s.priorities[w].items()]
        entries.sort(key=lambda e: (e[2], e[3], e[4]), reverse=True)
        expected.extend(entries)
    assert priority_queue(s, list(order)) == expected
    # round mode's pre-filtered queue: the same walk without the entries none would take
    runnable = [e for e in expected if e[0] in s.allocation and s.throughputs[e[0]][e[1]] > 0
                and not (fifo and e[2] <= 0.0)]
    assert priority_queue(s, list(order), runnable=True, fifo=fifo) == runnable
