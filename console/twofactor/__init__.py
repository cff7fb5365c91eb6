"""Two-factor sign-in (TOTP with recovery codes, django-otp): required for platform staff, offered to everyone."""
