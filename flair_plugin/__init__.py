"""FLAIR Land Cover: the QGIS side (provider, algorithms, styling) and the QGIS-free engine."""
