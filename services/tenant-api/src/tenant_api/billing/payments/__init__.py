"""Payments from the ISP's customers: cash and bank transfers recorded by hand, cards charged
through the ISP's own Stripe account; allocated to open invoices oldest first, the rest kept as
the customer's credit for later invoices; refunded in part or in full."""
