"""Every write to a case, each one transaction with its audit event (reads are in selectors).

- intake: a request arrives;
- casework: what staff do (the state machine, funding, assignment, notes);
- opening: staff decrypt a case for a stated reason;
- correspondence: messages and files between staff and the applicant;
- retention: holds, and crypto-shredding when a case's time is up;
- events: how a case is named in the audit log.
"""
