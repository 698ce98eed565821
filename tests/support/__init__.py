"""Test-only Django app: installed by tests/settings.py, never by config/settings.py."""
