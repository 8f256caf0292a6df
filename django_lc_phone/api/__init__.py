"""The DRF surface, ``auth/phone/``: serializers (shape only), views (thin), errors, urls."""
