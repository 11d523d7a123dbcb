"""The ladder's vocabulary and its arithmetic, with no storage and no screen: players,
races and write jobs; the rating systems (Elo and Glicko-2) and their evaluation; the
event log, its replay and its corrections; letter ranks, statistics, the integrity flags,
the ladder at a past time, and the matches CSV.

Pure functions and data over lists and Polars frames, no I/O, so both stores, the offline
snapshot and the pending queue give the same answers.
"""
