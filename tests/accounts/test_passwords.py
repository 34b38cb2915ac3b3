"""Passwords are stored as Argon2id with the RFC 9106 low-memory profile."""

from argon2 import Type

from afterglow.accounts import passwords


def test_production_hashing_is_argon2id_with_the_rfc_9106_low_memory_profile():
    # The test suite swaps in a cheap hasher (see conftest); this is what production uses.
    hasher = passwords.PRODUCTION_HASHER
    assert hasher.type is Type.ID
    assert (hasher.time_cost, hasher.memory_cost, hasher.parallelism) == (3, 65536, 4)
    assert hasher.hash("x").startswith("$argon2id$")


def test_a_new_password_needs_ten_characters():
    assert passwords.password_problem("short") == "use at least 10 characters"
    assert passwords.password_problem("long enough now") is None
