"""The Processing algorithms, one a module. The provider lists ``ALGORITHMS``."""

from .apply_style import ApplyStyleAlgorithm

ALGORITHMS = (ApplyStyleAlgorithm,)
