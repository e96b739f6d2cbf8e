"""Official documents (naskah dinas): one source laid out with the letterhead, number,
Indonesian date in WIB and signature blocks, written as PDF, HTML and Markdown, each
file recorded for `sop verify`.  Features call ``publish.issue`` / ``issue_markdown``;
nothing here names a feature.  docs/documents.md says what is followed and configurable.
"""
