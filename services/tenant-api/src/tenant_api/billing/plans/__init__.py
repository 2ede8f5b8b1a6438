"""Service plans: what an ISP sells (speeds, data cap, price, billing cycle, setup fee), and
custom packages made for one customer."""
