"""Test support: helpers, fakes and harnesses the tests and benchmarks share.

Tests import from here, never from another test module or from conftest.
"""
