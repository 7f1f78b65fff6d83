"""Packaged defaults: the example settings and the shipped rule packs (data only)."""
