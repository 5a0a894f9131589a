"""Reports: PNG plots and Markdown summaries of sweeps and fill-up runs."""
