"""Crisis help (CLINICAL.md §5): the numbers a patient at risk is shown, for their country and in
their language. `screen` and `reviews` are pure; `service` reads the patient and the clinic."""
