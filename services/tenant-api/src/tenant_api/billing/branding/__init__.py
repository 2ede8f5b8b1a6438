"""How the ISP's invoices present it: its legal name, address and tax number (basic_billing),
and with white_label its own display name, accent colour, footer and logo."""
