"""Writes the end-to-end test's input: ROWS sales lines as Parquet at OUTPUT (an s3a:// URL)."""
import json
import sys

from pyspark.sql import SparkSession

output, rows = sys.argv[1], int(sys.argv[2])
spark = SparkSession.builder.appName("e2e-seed-input").getOrCreate()
sales = spark.range(rows).selectExpr("id", "id % 97 AS price", "id % 89 AS quantity")
sales.repartition(4).write.mode("overwrite").parquet(output)
written = spark.read.parquet(output).count()
print("E2E_RESULT " + json.dumps({"app": spark.sparkContext.applicationId, "rows": written}))
spark.stop()
