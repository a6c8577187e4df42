"""Operations: backups and restores of the database, checked against a manifest.

Kept apart from crm/privacy: a backup covers the whole database for the deployment, whatever
it holds, while crm/privacy decides what personal data is and what happens to it."""
