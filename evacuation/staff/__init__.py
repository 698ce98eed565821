"""The staff side of cases: the queue, approvals, the case page and its actions (/staff/cases/).

Actions are declared once in `actions`; their rules are in evacuation.rules.
"""
