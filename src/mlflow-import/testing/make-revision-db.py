"""Creates empty MLflow tracking databases at given alembic revisions, with MLflow 3.3's own
migrations (the chain every 2.x and 3.x database went through), for the import's schema tests.

Usage: python make-revision-db.py <folder> <revision>...   (writes <folder>/<revision>.db)
"""
import os
import sys

from alembic import command
from sqlalchemy import create_engine

from mlflow.store.db.utils import _get_alembic_config
from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

for revision in sys.argv[2:]:
    url = f"sqlite:///{os.path.join(sys.argv[1], revision + '.db')}"
    engine = create_engine(url)
    InitialBase.metadata.create_all(engine)
    config = _get_alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()
