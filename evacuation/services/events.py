"""Audit events about one case: the one place that says how a case is named in the log."""

from __future__ import annotations

from typing import Any

from audit.models import AuditEvent
from audit.services import record


def case_event(case, action: str, *, actor: Any, data: dict | None = None) -> AuditEvent:
    """Records `action` on `case` inside the caller's transaction (see audit.services.record)."""
    return record(
        action=action, actor=actor, target_type="case", target_ref=case.reference, data=data
    )
