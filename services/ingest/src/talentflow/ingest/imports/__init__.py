"""Historical imports: NDJSON or CSV files of past results, streamed, resumable, idempotent.

`router` (HTTP) and `cli` (`talentflow import FILE --vendor ID`) are the entry points; `runner`
drives one upload chunk by chunk (one transaction per chunk, with the checkpoint), `parsing`
turns the byte stream into numbered rows, `service` and `repository` do the rest.
"""
