"""Staff notifications that carry nothing personal (issue 19, item 7).

Something needs a person's attention (their applicant wrote, an urgent request waits, funding
waits for their approval): a notice row says so (evacuation.models.Notice), and a mail with a
fixed text tells them to look at /staff/. The mail never names the case, the applicant, a
region, a count or anything written: a mailbox is not as safe as this server.

- kinds.py     what needs attention and who is told: one entry per kind, the one place to add
               one (an event calls `tell`; a time-based kind registers a finder the sweep runs)
- mail.py      the fixed text, in the recipient's language
- sending.py   the sweep and the sending, with their audit events
- tasks.py     the django-tasks entry points the worker runs (never inside a request)
- preferences.py  each person's mode and language, and who is on call
"""
