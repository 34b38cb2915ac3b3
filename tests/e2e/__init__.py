"""Browser tests of the patient app (a package, so its conftest does not shadow tests/conftest.py)."""
