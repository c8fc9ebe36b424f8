"""Web pages, one module per space: public, doctor, host (site), ars, feeds (iCal), invitations."""
