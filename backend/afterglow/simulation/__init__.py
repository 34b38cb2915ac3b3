"""A simulated clinic in virtual time: synthetic patients whose relief follows a latent PHQ-9
course, answering the real app's reminders through its real API, so that how soon a clinic
learns of a relapse can be measured (`afterglow simulate`, bench/detection.py).

`sources` holds the cited figures the cohort is built from, `cohort` and `course` draw the
patients and their courses (pure, seeded), `clinic` drives the app, and `measure` turns what
happened into the detection measures.
"""
