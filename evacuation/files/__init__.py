"""Files that staff and applicants send each other.

- sanitise: rebuilds each image or PDF from its pixels and pages alone (no GPS, no author);
- sandbox: runs that cleaning in a child process with a time and a memory limit;
- transfer: how a file enters (an upload kept in memory) and leaves (a download) the server.
"""
