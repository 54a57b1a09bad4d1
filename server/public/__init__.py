"""The residents' door (群众端, COMMAND_API.md "Residents' door"): public appeals with tracking
codes, the hall's triage, satisfaction callbacks, residents' Web Push, public figures, the 500 m
service circle, station posters and the leaders' duty roster.  No account is needed for
`/api/public/*`; everything else here is for staff and goes through the usual scope checks."""
