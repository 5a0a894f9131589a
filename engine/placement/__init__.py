"""Placement: which server and GPUs a selected job gets (FGD and its rivals, fgd.md §2–§3)."""
