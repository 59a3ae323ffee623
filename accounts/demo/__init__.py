"""The demo's story: broken accounts really detected, prompts delivered, 30 days of healed
history, and dashboard logins with an authenticator (``seed_demo --story``)."""
