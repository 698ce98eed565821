from django.apps import AppConfig


class TestSupportConfig(AppConfig):
    """What only the test suite needs: Django's flush with the audit triggers lifted, and a
    quick password hasher. tests/settings.py installs it; production settings never do."""

    name = "tests.support"
    label = "test_support"
    verbose_name = "Test support (never installed in production)"
