"""Real-time input and a read_committed watcher for scripts/worker-latency-benchmark.sh.

    latency_peer.py BOOTSTRAP INPUT OUTPUT RATE SECONDS PARTITIONING

Writes RATE events a second for SECONDS seconds to INPUT (`key,timestamp,value` lines whose
event time is the wall clock when written; PARTITIONING is `key` — each to its key's partition
by Kafka's murmur2 partitioner, what `weir worker --co-partitioned` needs — or `round-robin`),
while it reads OUTPUT read_committed and notes when each window's sums become visible. Prints
one JSON object: per window (1 s windows ending after a 5 s warm-up and 3 s before the input
stops) the time from the window's end to the last of its rows being readable, in ms.

confluent-kafka (librdkafka), not Weir's client: the measurement does not use the code under test.
"""
import json
import sys
import threading
import time

import confluent_kafka

bootstrap, input_topic, output_topic, rate, seconds, partitioning = sys.argv[1:7]
rate, seconds = int(rate), int(seconds)
keys, partitions = 1000, 4
stop = threading.Event()
window_ms = 1000


def produce():
    producer = confluent_kafka.Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "partitioner": "murmur2_random"})
    sent, started = 0, time.time()
    while time.time() - started < seconds:
        due = int((time.time() - started) * rate)
        while sent < due:
            now = int(time.time() * 1000)
            key = sent % keys
            line = f"{key},{now},{sent % 100}"
            if partitioning == "key":
                producer.produce(input_topic, key=str(key).encode(), value=line.encode())
            else:
                producer.produce(input_topic, value=line.encode(), partition=sent % partitions)
            sent += 1
        producer.poll(0)
        time.sleep(0.002)
    producer.flush(30)
    stop.set()


start_ms = int(time.time() * 1000)
thread = threading.Thread(target=produce)
thread.start()

consumer = confluent_kafka.Consumer({
    "bootstrap.servers": bootstrap, "group.id": f"latency-{output_topic}", "isolation.level": "read_committed",
    "auto.offset.reset": "earliest", "enable.auto.commit": False, "fetch.wait.max.ms": 10, "fetch.min.bytes": 1,
    "topic.metadata.refresh.interval.ms": 1000,
})
consumer.subscribe([output_topic])
last_seen = {}  # window end → wall ms when its latest row was read
rows = 0
deadline = None
while True:
    message = consumer.poll(0.05)
    now = int(time.time() * 1000)
    if message is not None and message.error() is None and message.value():
        fields = message.value().decode().split(",")
        end = int(fields[2])
        last_seen[end] = now
        rows += 1
    if stop.is_set() and deadline is None:
        deadline = now + 5000  # the last windows' commits
    if deadline is not None and now > deadline:
        break
thread.join()
consumer.close()

produced_until = start_ms + seconds * 1000
latencies = sorted(seen - end for end, seen in last_seen.items() if start_ms + 5000 < end < produced_until - 3000)
if not latencies:
    print(json.dumps({"windows": 0, "rows": rows}))
    sys.exit(1)
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(json.dumps({"windows": len(latencies), "rows": rows, "median": pick(0.5), "p90": pick(0.9), "max": latencies[-1]}))
