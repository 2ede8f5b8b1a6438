"""Importing customers from a spreadsheet: upload the CSV, see what each row would become (the
dry run: per-row errors and duplicates), adjust the column mapping, then commit every row at
once — or none."""
