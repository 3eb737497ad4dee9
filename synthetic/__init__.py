"""FLAIR-like data generators for the tests, the demo and the benchmarks.

Not part of the plugin: ``make package`` does not ship this package.
"""
