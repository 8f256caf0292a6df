"""Benchmarks of django-lc-phone (not tests): ``python bench/run.py [--quick]``.

See ``docs/benchmarks.md`` for what each figure means and how it is measured.
"""
