"""Land-cover styles: QML written from the nomenclature (QGIS-free) and applied in QGIS."""
