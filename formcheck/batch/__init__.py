"""``formcheck batch``: analyse every clip in a folder, score it against labels, report.

One job per module: :mod:`.labels` (read labels.csv), :mod:`.scoring` (windows → predictions
→ metrics), :mod:`.runner` (discovery, cache keys, process pool, results journal),
:mod:`.dask_engine` (the same batch on a Dask cluster), :mod:`.report` (HTML, CSV, terminal)
and :mod:`.cli`.
"""
