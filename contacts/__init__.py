"""Embedded data set (ties, officials, quotes); see README.md in this folder."""
