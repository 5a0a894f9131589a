"""The scenarios shipped with fragscope: package data, found by name.

``fragscope run gavel/continuous-36`` looks up ``gavel/continuous-36.yaml`` here when no
such file exists in the current folder (see :mod:`fragscope.model.packaged`).
"""
