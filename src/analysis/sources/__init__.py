"""Readers for third-party and user data, each returning flows plus a full account of every row."""
