"""Reads for pages, each in a fixed number of queries (writes are in services).

- queue: the queue, its counts and the approvals list;
- case_page: one case's facts, proposals and the staff it may be handed to;
- timeline: a case's history from the audit log;
- thread: a case's messages (decrypted with a cipher the caller holds) and its file list;
- applicant: finding the case a receipt code belongs to.
"""
