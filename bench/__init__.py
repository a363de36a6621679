"""Benchmarks of Seedance Studio: `make bench` (or `python -m bench`) writes BENCHMARKS.md.

Everything runs against the contract simulator, time-scaled, on this machine: polling against a naive
fixed-interval client, completion to playable (in process and in a real browser), capacity with 200
jobs in flight, cold start against a bare Gradio app, and the media helpers.
"""
