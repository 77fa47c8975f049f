# Copyright 2026 Pan MCP Pro
# License AGPL-3.0 or later (https://www.gnu.org/licenses/agpl).
"""The old values of the records of writes audited in full mode.

OCA auditlog's full mode reads every stored field of the records before and
after a write, to log those that changed: on a contact, some sixty fields and
a query for each of its relations, for a call that changed one. A capture
reads only the fields a write may change: those it is given, and the stored
fields computed from them. The writes made on the same records while it runs,
such as the address a contact takes from its new parent company, add theirs
as they come (see `models/base.py`), before they change anything.
"""

import contextlib
import contextvars
import itertools

# the captures of the writes being audited, innermost last
_captures = contextvars.ContextVar("pan_mcp_pro_governance_captures", default=())


class WriteCapture:
    """What the records of one audited write were before it, field by field."""

    def __init__(self, records, audited_fields):
        self.records = records.sudo().with_context(
            prefetch_fields=False, auditlog_disabled_read=True
        )
        self.audited_fields = audited_fields
        self.field_names = []
        self.old_values = {record_id: {} for record_id in self.records.ids}

    def overlaps(self, records):
        return records._name == self.records._name and not set(records._ids).isdisjoint(
            self.records._ids
        )

    def covers(self, records):
        return records._name == self.records._name and set(records._ids) <= set(
            self.records._ids
        )

    def add(self, vals, from_database=False):
        """Capture the values, before ``vals`` is written, of the fields it
        may change that are not captured yet."""
        model_fields = self.records._fields
        written = [model_fields[name] for name in vals if name in model_fields]
        recomputed = self.records.pool.get_trigger_tree(written).root
        names = [
            field.name
            for field in itertools.chain(written, recomputed)
            if field.model_name == self.records._name
            and field.name in self.audited_fields
            and field.name not in self.field_names
        ]
        names = list(dict.fromkeys(names))
        if not names:
            return
        if from_database:
            # what OCA auditlog's full mode shows: the values stored before
            self.records.invalidate_recordset(names)
        # Other captures come here before any write changes these fields: the
        # cache holds their values from before the audited write.
        for values in self.records.read(names):
            self.old_values[values["id"]].update(values)
        self.field_names += names

    def new_values(self):
        """Read the captured fields as the write left them in the database."""
        self.records.invalidate_recordset(self.field_names)
        return {values["id"]: values for values in self.records.read(self.field_names)}


def enclosing(records):
    """Return the innermost capture of a write that ``records`` is part of."""
    for capture in reversed(_captures.get()):
        if capture.covers(records):
            return capture
    return None


def add_to_overlapping(records, vals):
    """Capture, in every capture that ``records`` overlaps, the values of the
    fields that writing ``vals`` on ``records`` may change."""
    for capture in _captures.get():
        if capture.overlaps(records):
            capture.add(vals)


@contextlib.contextmanager
def capturing(capture):
    """Make ``capture`` collect the writes made on its records meanwhile."""
    token = _captures.set(_captures.get() + (capture,))
    try:
        yield capture
    finally:
        _captures.reset(token)
