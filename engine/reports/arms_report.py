"""The arms sections of a sweep report: each arm vs load, and each arm minus the first.

Used when the sweep has an arms axis and a load axis (see :mod:`.arms_data`).  It
writes ``arms_jct_vs_load.png``, ``arms_window_vs_load.png`` and ``arms_deltas.png``
(:mod:`.arms_plots`) and returns the Markdown: what each arm sets, then per section
(a topology, ...) the JCT table, the window table and the paired-delta table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .arms_data import DELTAS, LEVELS, Section, arm_label, section_keys, sections
from .arms_plots import plot_deltas, plot_jct, plot_levels
from .stats import CONF
from .sweep_data import LOAD_KEY, SweepData, jph_text


def _load_head(sw: SweepData, load: Any) -> str:
    if sw.load_key == LOAD_KEY:
        return f"{jph_text(sw.load_x(load))} jobs/h"
    return str(load)


def _sets(over: dict[str, Any]) -> str:
    if not over:
        return "(the base scenario as is)"
    return ", ".join(f"`{k}: {json.dumps(v) if not isinstance(v, str) else v}`"
                     for k, v in over.items())


def _jct_text(c: dict[str, Any] | None) -> str:
    if c is None:
        return "—"
    if c["saturated"]:
        done = ""
        if c["done_lo"] is not None and c["window_n"]:
            rng = (f"{c['done_lo']}" if c["done_lo"] == c["done_hi"]
                   else f"{c['done_lo']}–{c['done_hi']}")
            early = (f"; {c['early']} ended early, overloaded" if c.get("early") else "")
            done = f" ({rng} of {c['window_n']} measured jobs done{early})"
        return f"*{c.get('word', 'saturated')} {c['saturated']}/{c['n']}*{done}"
    if c["mean"] is None:
        return "failed" if c["errors"] else "—"
    return f"{c['mean']:.2f} [{c['lo']:.2f}–{c['hi']:.2f}]"


def _delta_text(e: dict[str, Any], col: str) -> str:
    ci, one = e[col], e[col + "_one"]
    if ci is not None:
        return f"{ci[0]:+.2f} [{ci[1]:+.2f}, {ci[2]:+.2f}]"
    return f"{one:+.2f} (one pair: no CI)" if one is not None else "n/a"


def _section_md(sw: SweepData, sec: Section, heading: bool) -> list[str]:
    md: list[str] = []
    if heading:
        md += [f"### {sec.label}", ""]
        for k, v in zip(sec.keys, sec.combo):
            over = sw.variants.get(k, {}).get(v)
            if over:
                md += [f"`{k}` = {v}: {_sets(over)}.", ""]
    loads = sec.loads
    md += ["Average JCT of the measured jobs (h): mean over seeds [min–max]; *saturated k/n* = "
           "k of n seeds did not finish their measured jobs within the cap, or were ended early "
           "because they could not (`end_when_overloaded`: the queue kept growing and the "
           "measured jobs' progress rate said so); such a cell has no mean.", "",
           "| arm | " + " | ".join(_load_head(sw, x) for x in loads) + " |",
           "|---|" + "---|" * len(loads)]
    for arm in sec.arms:
        md.append(f"| {arm_label(sw, arm)} | "
                  + " | ".join(_jct_text(sec.jct.get((arm, x))) for x in loads) + " |")
    md += ["", "Window figures, mean over seeds (▲ = a saturated seed, its figures up to where it "
           "stopped): "
           + "; ".join(t for _, t, _ in LEVELS) + ".", "",
           "| arm | load | " + " | ".join(t for _, t, _ in LEVELS) + " |",
           "|---|---|" + "---|" * len(LEVELS)]
    for arm in sec.arms:
        for x in loads:
            cells = []
            for col, _, _ in LEVELS:
                v = sec.levels.get((arm, x, col))
                cells.append("—" if v is None or v["mean"] is None
                             else f"{v['mean']:.1f}" + (" ▲" if v["saturated"] else ""))
            if any(c != "—" for c in cells):
                md.append(f"| {arm_label(sw, arm)} | {_load_head(sw, x)} | " + " | ".join(cells) + " |")
    if len(sec.arms) > 1:
        first = arm_label(sw, sec.arms[0])
        md += ["", f"Each arm − {first}, paired by seed: mean [{CONF:.0%} t-interval]; n = "
               "pairs where both runs finished; pairs with a saturated run are left out and "
               "counted in the last column.", "",
               "| arm | load | n | " + " | ".join(t for _, t, _ in DELTAS)
               + f" | saturated pairs ({first}/arm) |",
               "|---|---|---|" + "---|" * len(DELTAS) + "---|"]
        for e in sec.deltas:
            md.append(f"| {arm_label(sw, e['arm'])} | {_load_head(sw, e['load'])} | {e['used']} | "
                      + " | ".join(_delta_text(e, col) for col, _, _ in DELTAS)
                      + f" | {e['sat_base']}/{e['sat_arm']} |")
    return md + [""]


def arms_sections(sw: SweepData, out: Path) -> tuple[list[str], list[Path]]:
    """The report.md lines of the arms comparison and the PNGs written into ``out``."""
    secs = sections(sw)
    pngs = [plot_jct(sw, secs, out / "arms_jct_vs_load.png"),
            plot_levels(sw, secs, out / "arms_window_vs_load.png"),
            plot_deltas(sw, secs, out / "arms_deltas.png")]
    arms = list(sw.grid[sw.arms_key])
    md = [f"## Arms: `{sw.arms_key}`", ""]
    named = sw.variants.get(sw.arms_key)
    if named:
        md += ["| arm | sets |", "|---|---|"]
        md += [f"| {a} | {_sets(named.get(a, {}))} |" for a in arms]
        md += [""]
    keys = section_keys(sw)
    md += [f"Every arm is compared with the first, **{arm_label(sw, arms[0])}**, at the same load and seed"
           + (f" and the same {', '.join(f'`{k}`' for k in keys)}" if keys else "")
           + " (the arms of a pair saw the same arrivals)."
           + (" One section per " + ", ".join(f"`{k}`" for k in keys) + "." if keys else ""), "",
           "![average JCT per arm vs load](arms_jct_vs_load.png)", "",
           "![window figures per arm vs load](arms_window_vs_load.png)", "",
           "![paired deltas vs the first arm](arms_deltas.png)", ""]
    for sec in secs:
        md += _section_md(sw, sec, heading=bool(keys))
    return md, pngs
