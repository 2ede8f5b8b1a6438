"""Dunning (automated_billing): each ISP's reminders before and after invoices fall due, a late
fee once past the grace days, suspension of customers whose invoices stay unpaid, and their
reactivation when payment clears what was overdue. A pass runs daily per ISP on a timer kept in
Postgres, or on demand (dry or not)."""
