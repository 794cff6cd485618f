"""The town's fund-pool ledger (互助资金池台账).

- Double-entry, integer fen, one pool per scheme year: a fixed chart of accounts (``chart.py``) and
  ``scheme_year`` on every entry and line. Entries are balanced, immutable and reversed rather than edited;
  PostgreSQL enforces the same (migration 0002).
- API for other apps (``postings.py``): ``post_contribution(scheme_year, amounts_by_source, *, method,
  reference, memo, actor, received_on=None)`` and ``reverse_entry(entry_id, *, reason, actor)``.
- Town finance's postings and the year-end close (``actions.py``): ``record_underwriting``, ``record_grant``,
  ``record_pledge``, ``settle_pledge``, ``record_advance``, ``repay_advance``, ``record_donation``,
  ``record_interest``, ``accrue_expense``, ``pay_payable``, ``close_year``.
- Reading (``ledger.py``): ``account_totals``, ``balance_of``, ``year_summary``, ``statement_queryset``.
"""
