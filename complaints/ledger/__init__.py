"""The case ledger (台账): filtered rows as CSV/XLSX and the printable record."""
