"""Serving the built PWA."""
