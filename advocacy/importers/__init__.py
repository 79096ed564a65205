"""Importers that turn open data sets into contact records in our columns."""
