"""Week over week, in one place: match deals across weeks, compare with last week, keep the weeks.

    match.py     which deal of this week is which deal of an earlier week (one key, one matcher)
    baseline.py  last week against this week: prev_* columns and the pipeline waterfall
    store.py     the SQLite history store: one snapshot of normalised deals per as-of date
    derive.py    what the stored weeks teach: since-dates, slips, weeks of history
    history.py   one run's use of the store: keep this week, derive, compare with the last one

Nothing here reads an export: the pipeline reads last week's file like this week's and hands
both over as Deals.
"""
