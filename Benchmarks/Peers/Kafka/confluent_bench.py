"""confluent-kafka's produce and consume throughput, the baseline of `weir-kafka-bench`.

    python confluent_bench.py BOOTSTRAP TOPIC RECORDS SIZE

Produces RECORDS records of SIZE bytes to partition 0 of TOPIC (acks=all, no compression,
librdkafka's default batching), then reads them back from offset 0, and prints one JSON line:
{"produceSeconds": …, "fetchSeconds": …}.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, records, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
value = b"x" * size

producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "compression.type": "none"})
started = time.perf_counter()
for _ in range(records):
    while True:
        try:
            producer.produce(topic, value=value, partition=0)
            break
        except BufferError:
            producer.poll(0.01)  # the local queue is full: let deliveries drain
    producer.poll(0)
if producer.flush(60) != 0:
    sys.exit("confluent bench: records left unsent")
produce_seconds = time.perf_counter() - started

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-bench", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 0, 0)])
started = time.perf_counter()
seen = 0
while seen < records:
    batch = consumer.consume(10000, 1.0)
    for message in batch:
        if message.error():
            sys.exit(f"confluent bench: {message.error()}")
    seen += len(batch)
fetch_seconds = time.perf_counter() - started
consumer.close()
print(json.dumps({"produceSeconds": produce_seconds, "fetchSeconds": fetch_seconds}))
