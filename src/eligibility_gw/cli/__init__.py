"""Command-line interface: ``eligibility-gw``."""
