"""Reads for pages, each in a fixed number of queries (writes are in services).

- queue: the queue, its counts and the approvals list;
- case_page: one case's facts, proposals and the staff it may be handed to;
- timeline: a case's history from the audit log;
- thread: a case's request, additions and messages (decrypted with a cipher the caller holds)
  and its file list. (An applicant reaches their case through vault.cases: the code opens it.)
"""
