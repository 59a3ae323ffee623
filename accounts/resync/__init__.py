"""End-user re-sync: signed single-use links and the pages that run the platform's OAuth flow."""
