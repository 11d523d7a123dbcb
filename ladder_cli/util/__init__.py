"""The ground floor: configuration, URLs and their masking, errors, private files, the
terminal's encoding, interrupts and the crash points of the fault tests.

Nothing here knows the ladder's vocabulary; every other package may use it.
"""
