"""Answering a question: triage first, then retrieval, then a grounded reply."""
