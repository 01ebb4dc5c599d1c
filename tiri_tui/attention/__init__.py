"""Reaching the person: desktop alerts, rules and quiet hours.

Pure decisions and encodings, no Textual: the dashboard feeds arrivals and
focus changes in, and writes what comes out.
"""
