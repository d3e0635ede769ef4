"""Developer scripts: `python -m scripts.local_airflow` backs `make airflow`."""
