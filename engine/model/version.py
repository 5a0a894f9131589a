"""fragscope's version: one place, read by the package (``fragscope.__version__``), the
build (pyproject.toml) and what records it (goldens of the pytest plug-in)."""

VERSION = "0.4.0"
