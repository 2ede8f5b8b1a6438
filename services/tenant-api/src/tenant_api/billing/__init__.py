"""Billing an ISP's own customers: service plans and the subscriptions to them."""
