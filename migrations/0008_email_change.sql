-- Email changes are confirmed by a token mailed to the new address: the token
-- row keeps the current address in email (so it dies if that changes first)
-- and the address to switch to in new_email.
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_kind_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_kind_check
    CHECK (kind IN ('password_reset', 'verify_email', 'email_change'));
ALTER TABLE user_tokens ADD COLUMN new_email text;
