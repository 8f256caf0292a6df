"""A small shop whose users sign in with a phone number and an SMS login code."""
