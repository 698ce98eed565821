from django.contrib.auth.hashers import Argon2PasswordHasher


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """The same Argon2 code path with tiny costs, so the test suite is not spent hashing."""

    algorithm = "argon2-quick"
    time_cost = 1
    memory_cost = 1024
    parallelism = 1
