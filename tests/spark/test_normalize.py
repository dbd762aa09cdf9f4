"""Normalizers mapped on Spark's executors give the columns the local pool gives."""

from __future__ import annotations

import pandas as pd

from resolver.normalize import normalize_customer_frame
from resolver.spark.normalize import SparkPool


def test_customer_columns_are_the_same_on_spark(spark) -> None:
    frame = pd.DataFrame(
        {
            "first_name": ["José", "  ann ", None, "Bob", "José"],
            "last_name": ["García", "O'Neil", "Smith", "", "García"],
            "company": [None, "Acme Inc.", "ACME, INC", None, None],
            "email": [
                "Jose.Garcia@Example.com",
                "bad@",
                None,
                "b@x.org",
                "jose.garcia@example.com",
            ],
            "phone": ["(312) 555-0101", "555 0101", "+44 20 7946 0958", "000", None],
            "street": ["12 N Main St Apt 4", "PO Box 9", None, "12 north main street", "x"],
            "city": ["Chicago", "chicago", None, "Springfield", "Chicago"],
            "state": ["IL", "il", None, "MO", "IL"],
            "postal_code": ["60601", "60601-1234", None, "65804", "60601"],
        },
        dtype=object,
    )
    local = normalize_customer_frame(frame, workers=1)
    on_spark = normalize_customer_frame(frame, pool=SparkPool(spark, min_values=0))
    pd.testing.assert_frame_equal(local, on_spark)
