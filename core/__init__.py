"""Small shared helpers every app may use: HTTP error pages, view decorators, rate limiting.

The ground floor of the house: core imports none of the project's apps. Its one table holds
rate-limit buckets (keyed hashes and numbers, nothing about a person).
"""
