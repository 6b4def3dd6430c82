"""The seed use case: read Parquet from object storage, compute a column from two others,
write Parquet back, read it back and report what came back."""
import json
import sys
import urllib.request

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

source, target = sys.argv[1], sys.argv[2]
spark = SparkSession.builder.appName("e2e-revenue").getOrCreate()
sales = spark.read.parquet(source)
rows_read = sales.count()
sales.withColumn("revenue", F.col("price") * F.col("quantity")).write.mode("overwrite").parquet(target)
back = spark.read.parquet(target)
total = back.agg(F.sum("revenue")).first()[0]
# Where executors ran: the workers' addresses, as the driver knows them.
status = spark.sparkContext._jsc.sc().getExecutorMemoryStatus()
hosts = sorted({str(k).split(":")[0] for k in spark.sparkContext._jvm.scala.collection.JavaConverters.mapAsJavaMap(status).keySet()})
driver = spark.conf.get("spark.driver.host")
# The driver's own UI, fetched as a browser on the cluster would (the node trusts the CA).
ui = spark.sparkContext.uiWebUrl
with urllib.request.urlopen(ui + "/api/v1/applications", timeout=10) as answer:
    ui_apps = [a["id"] for a in json.load(answer)]
print("E2E_RESULT " + json.dumps({
    "app": spark.sparkContext.applicationId,
    "rowsRead": rows_read,
    "rowsWrittenAndReadBack": back.count(),
    "totalRevenue": int(total),
    "executorHosts": [h for h in hosts if h != driver],
    "uiWebUrl": ui,
    "uiListsApp": spark.sparkContext.applicationId in ui_apps,
}))
spark.stop()
