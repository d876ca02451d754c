"""Data protection (DSGVO): erasure to a tombstone that keeps every figure (Art. 17), the
suppression list that keeps an erased person from coming back, the export of one person's data
(Art. 15) and retention (Art. 5(1)(e)). Consent lives in services/consent.py."""
