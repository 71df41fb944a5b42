"""confluent-kafka (librdkafka) as the interoperability peer of WeirKafka's tests.

    python confluent_peer.py produce BOOTSTRAP TOPIC PARTITION COUNT [CODEC]
        produces COUNT records key-i / value-i (header "n" = i, timestamp now + i ms) to one
        partition, compressed with CODEC (none, gzip, lz4, ...; default none)
    python confluent_peer.py consume BOOTSTRAP TOPIC PARTITION COUNT ISOLATION
        reads up to COUNT records from the partition's start (ISOLATION: read_committed or
        read_uncommitted), stopping early once its position reached the end of the log, and
        prints one JSON object per record
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition


def produce(bootstrap, topic, partition, count, codec):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "compression.type": codec})
    now = int(time.time() * 1000)
    for i in range(count):
        producer.produce(topic, key=f"key-{i}".encode(), value=f"value-{i}".encode(), partition=partition,
                         timestamp=now + i, headers=[("n", str(i).encode())])
    if producer.flush(30) != 0:
        sys.exit("confluent peer: records left unsent")


def consume(bootstrap, topic, partition, count, isolation):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "weir-interop", "enable.auto.commit": False,
                         "isolation.level": isolation})
    consumer.assign([TopicPartition(topic, partition, 0)])
    seen = 0
    idle = 0
    while seen < count and idle < 20:
        message = consumer.poll(0.5)
        if message is None:
            idle += 1
            _, end = consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=5)
            position = consumer.position([TopicPartition(topic, partition)])[0].offset
            if position >= end:
                break  # everything there is was read (aborted records and markers skipped)
            continue
        if message.error():
            sys.exit(f"confluent peer: {message.error()}")
        print(json.dumps({
            "offset": message.offset(),
            "timestamp": message.timestamp()[1],
            "key": None if message.key() is None else message.key().decode(),
            "value": None if message.value() is None else message.value().decode(),
            "headers": [[k, None if v is None else v.decode()] for k, v in (message.headers() or [])],
        }), flush=True)
        seen += 1
    consumer.close()


if __name__ == "__main__":
    command, bootstrap, topic, partition, count = sys.argv[1:6]
    if command == "produce":
        produce(bootstrap, topic, int(partition), int(count), sys.argv[6] if len(sys.argv) > 6 else "none")
    elif command == "consume":
        consume(bootstrap, topic, int(partition), int(count), sys.argv[6])
    else:
        sys.exit(f"unknown command {command}")
