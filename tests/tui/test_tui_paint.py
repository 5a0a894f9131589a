"""Stacked bars, heat scales and sparklines (pure drawing helpers)."""

from __future__ import annotations

from rich.color import Color

from fragscope.tui.paint import (EIGHTHS, FULL, TRACK_BG, TRACK_CHAR, bar_segments, fill_colour, heat_style,
                       job_colour, resample, sparkline)


def _cells(segs):
    return [(ch, s) for seg in segs for ch, s in ((c, seg.style) for c in seg.text)]


def test_two_fractional_jobs_and_free_capacity_with_eighth_precision():
    cells = _cells(bar_segments(((1, 330), (2, 400)), 10, labels=False))
    assert "".join(c for c, _ in cells) == "███▎███▎··"
    ch, style = cells[3]
    assert ch == EIGHTHS[2]  # 0.33 GPU ends 2/8 into the 4th cell
    assert style.color == Color.parse(job_colour(1)) and style.bgcolor == Color.parse(job_colour(2))
    assert cells[7][1].bgcolor == Color.parse(TRACK_BG)  # job 2 ends over the free track
    assert cells[-1][0] == TRACK_CHAR


def test_job_ids_print_where_they_fit_in_contrasting_text():
    text = "".join(c for c, _ in _cells(bar_segments(((12, 500), (7, 100)), 8)))
    assert text.startswith("12") and "7" not in text  # 0.1 GPU = 0.8 cell: no room for "7"


def test_whole_gpu_job_fills_the_bar_and_empty_gpu_is_all_track():
    assert "".join(c for c, _ in _cells(bar_segments(((3, 1000),), 6, labels=False))) == FULL * 6
    assert "".join(c for c, _ in _cells(bar_segments((), 6))) == TRACK_CHAR * 6


def test_filter_dims_other_jobs():
    segs = bar_segments(((1, 500), (2, 500)), 8, labels=False, dim=frozenset({2}))
    colours = {s.style.color for s in segs}
    assert Color.parse(job_colour(2)) in colours and Color.parse(job_colour(1)) not in colours


def test_fill_and_heat_scales():
    assert fill_colour(0) == TRACK_BG and fill_colour(1000) != fill_colour(500) != fill_colour(1)
    assert heat_style(0.0).bgcolor is None and heat_style(1.0).bgcolor is not None


def test_sparkline_fixed_scale_keeps_flat_series_flat():
    assert sparkline([0.5] * 4, 4, 0.0, 1.0) == "▄▄▄▄" or sparkline([0.5] * 4, 4, 0.0, 1.0) == "▅▅▅▅"
    assert sparkline([0.0, 1.0], 2, 0.0, 1.0) == "▁█"
    assert sparkline([float("nan"), 1.0], 2, 0.0, 1.0) == " █"
    assert len(resample(list(range(100)), 10)) == 10


def test_scores_get_the_digits_that_tell_candidates_apart():
    from fragscope.tui.screens.inspector import _fmtnum, distinguishing_digits
    vals = [10010001.0, 10010002.5, 10010001.0, 3.0]
    d = distinguishing_digits(vals)
    assert len({_fmtnum(v, d) for v in vals}) == 3 and d == 8
    assert distinguishing_digits([1.5, 2.5]) == 4 and distinguishing_digits([]) == 4
