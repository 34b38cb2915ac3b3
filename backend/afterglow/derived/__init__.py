"""Derived state: what writers say they changed, and the one place that brings it up to date.

A writer that changes something another record is derived from says so:

    changed(db, patient_id, "infusion", now)

and commits as usual. Just before that commit, in the same transaction, `bring_up_to_date`
works out each marked patient's derived state (relief episodes, the triage summary, the open
safety-alert count, the reminder plan) once, however many changes were marked. Nobody calls a
refresh by hand, so no writer can forget one.

What each kind of change affects is in `AFFECTS` below: a new kind of record, or a new consumer
of one, is one line there.
"""

from afterglow.derived.changes import AFFECTS, Change, changed, pending_changes

__all__ = ["AFFECTS", "Change", "changed", "pending_changes"]
