"""A bare one-row view: the stack's own limit (same middleware, same database, same server).

Installed only when SAFE_PASSAGE_BENCH is set (bench/run.py sets it for its own server).
"""
