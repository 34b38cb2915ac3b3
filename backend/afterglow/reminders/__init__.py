"""Reminders: when to ask each patient for a check-in, in their local time, and sending them."""
