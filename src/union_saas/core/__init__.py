"""Shared plumbing: database base, errors, pagination, jobs, i18n, the web and API guards."""
