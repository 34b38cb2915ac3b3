"""Safety alerts raised by PHQ-9 item 9, the clinician inbox and acknowledgement."""
