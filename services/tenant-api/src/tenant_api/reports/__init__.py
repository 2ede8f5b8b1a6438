"""Reports on the ISP's business: customers by status over time and MRR by plan
(basic_reporting); churn and ticket resolution times (advanced_reporting). Each answers JSON, or
CSV with `Accept: text/csv`."""
