"""How an ISP bills: currency, taxes (default, per plan, per customer), invoice numbers,
payment terms and the day its periods start."""
