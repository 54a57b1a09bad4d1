"""Reading a whole record online, and the access log of reads of personal data."""
