"""A job that keeps two executors busy for a while, so that their metrics can be scraped."""
import json
import sys
import time

from pyspark.sql import SparkSession

seconds = int(sys.argv[1])
spark = SparkSession.builder.appName("e2e-slow").getOrCreate()
spark.sparkContext.parallelize(range(2), 2).foreach(lambda _: time.sleep(seconds))
print("E2E_RESULT " + json.dumps({"app": spark.sparkContext.applicationId}))
spark.stop()
