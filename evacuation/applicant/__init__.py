"""The applicant's side: /, /request/ and /status/. It shares no view, template, session or
cookie with the staff side (templates/evacuation/applicant/ has its own base layout)."""
