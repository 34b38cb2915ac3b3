"""Clinics, staff and patient accounts, sign-in sessions, enrollment, and who may see a patient."""
