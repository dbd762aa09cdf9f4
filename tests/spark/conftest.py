"""One local Spark session for every Spark test (one JVM: Spark is heavy on a small
machine). Java and pyspark come from the project's own files: `.ci/run` installs
openjdk-17-jre-headless, `make test` installs the `spark` extra."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resolver.spark.session import LOCAL_QUICK, spark_session


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    session = spark_session(
        master="local[2]",
        checkpoint_dir=tmp_path_factory.mktemp("spark-checkpoint"),
        shuffle_partitions=1,
        config=LOCAL_QUICK,
    )
    yield session
    session.stop()
