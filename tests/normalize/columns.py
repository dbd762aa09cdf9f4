"""Column lists the normalize tests pin, written out here once (not read from resolver)."""

# match keys (issue: matchable values were thrown away)
MATCH_KEY_COLUMNS = [
    "postal_norm",
    "name_sorted",
    "first_initial",
    "first_name_prefix",
    "last_name_prefix",
    "company_sorted",
    "email_user",
    "phone_local",
    "street_core",
    "birth_year",
]
