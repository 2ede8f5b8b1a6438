"""Bill runs (automated_billing): one invoice per customer per period, with every one of its
subscriptions on it, each billed by the day for the days it was served in the period.

Billing is in arrears: a period is invoiced once it has ended, for the days each subscription
actually ran, so plan changes and mid-period starts and cancellations are prorated on the
period's one regular invoice (never a separate small one), and days on hold or suspended are
simply not on it: a reactivated customer owes nothing for the days it was suspended, and no
invoice is made for them. A period is invoiced once per customer (a unique index), so a
re-run, or two at once, adds only customers not invoiced yet.
"""
