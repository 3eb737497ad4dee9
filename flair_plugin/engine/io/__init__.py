"""Raster and file I/O: band sources and readers, output writers, atomic files, downloads."""
