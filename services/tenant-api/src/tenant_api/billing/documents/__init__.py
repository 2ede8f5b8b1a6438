"""The documents a customer gets: invoices and credit notes as PDFs (with the ISP's branding on
white_label), mailed when issued (automated_billing), and the statement of account."""
