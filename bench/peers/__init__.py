"""Peer comparison of the sales forecast: `python -m bench.peers`."""
