"""Ketamine treatments and the clinical events that matter for relief (hospitalisation, medication change...)."""
