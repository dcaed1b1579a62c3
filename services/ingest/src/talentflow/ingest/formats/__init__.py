"""Vendor payload formats: one adapter per built-in family, and the declarative mapping.

Every adapter turns a vendor's decoded JSON document into a talentflow.v1 result (scores on
0-100), naming each field at fault by its path in the vendor's own document. `normalize.py`
applies the tenant's biometrics policy on top. Nothing is imported here, so that
`talentflow.ingest.schemas` can use `formats.v1` and `formats.schemas` without a cycle.
"""
