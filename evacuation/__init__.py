"""Cases: a request arrives, staff work it through the state machine, it ends and is shredded.

Where things live (one place for each rule):
- rules.py: who may do what to a case, and when (state machine, services and pages ask here);
- models/: the case, proposals and notes, messages and files (ciphertexts only);
- services/: every write, each one transaction with its audit event;
- selectors/: every read a page needs, in a fixed number of queries;
- files/: cleaning, sandboxing and moving uploaded files;
- applicant/ and staff/: each audience's URLs, views and forms (templates/evacuation/<side>/);
- management/commands/: purge_expired, seed_demo, graph_transitions.
"""
