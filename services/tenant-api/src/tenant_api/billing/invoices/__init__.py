"""Invoices and credit notes: made by hand (basic_billing) or by bill runs, numbered without
gaps when issued, settled by payments and credit notes."""
