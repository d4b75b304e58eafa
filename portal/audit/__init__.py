"""The audit log: sensitive reads and every staff action on a person.

An entry names people by id while they exist and always by a pseudonym (a keyed hash of
their id), so that erasing a person can clear the ids and keep a pseudonymised trail.
"""
