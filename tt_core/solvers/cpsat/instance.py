"""The derived facts every CP-SAT model here reads (start periods, rooms, room families, pins).

They moved to :mod:`tt_core.facts`, shared with the pre-solve checks; this module keeps the names
the CP-SAT modules import.
"""

from ...facts import MAX_FAMILIES, Instance, PinnedSlot, lecture_label, periods_text, pinned_slots

__all__ = ["MAX_FAMILIES", "Instance", "PinnedSlot", "lecture_label", "periods_text", "pinned_slots"]
