"""Signals other apps listen to (sites imports none of them)."""

from django.dispatch import Signal

# Sent by the reference loads (sites.reference), whose bulk upserts send no `post_save`, after they may have moved
# zones to another department or departments to another region (kwargs: zone_ids, department_ids). missions keeps
# the regions its doctors are « of » (missions.doctor_regions).
territory_moved = Signal()
