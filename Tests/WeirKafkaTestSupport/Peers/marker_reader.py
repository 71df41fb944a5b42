"""A read_committed reader that decides by the transaction markers in the log alone.

Usage: marker_reader.py HOST:PORT TOPIC PARTITION

Reads the partition from offset 0 to its high watermark with raw Fetch v4 requests (isolation
read_uncommitted, so the broker filters nothing), parses the record batches (format v2) and
keeps a transactional batch until its producer's control batch: a commit marker delivers it,
an abort marker drops it. Prints one JSON line per committed record, {"offset", "value"}, in
offset order, and on stderr how many transactional records had no marker yet.

Why it exists: Tansu lists no aborted transactions in its fetch responses, and librdkafka
(confluent-kafka) filters read_committed by that list only, so on Tansu it delivers aborted
records. This reader shares no code with WeirKafka or librdkafka; it needs a single broker that
leads the partition (the test brokers are one process each).
"""

import json
import socket
import struct
import sys
import zlib


def read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise RuntimeError("the broker closed the connection")
        data += chunk
    return data


def fetch(sock, correlation, topic, partition, offset):
    """One Fetch v4 request; returns (error code, high watermark, records bytes)."""
    topic_bytes = topic.encode()
    body = struct.pack(">iiiib", -1, 100, 1, 8 << 20, 0)  # replica, max wait, min bytes, max bytes, read_uncommitted
    body += struct.pack(">i", 1) + struct.pack(">h", len(topic_bytes)) + topic_bytes
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 4 << 20)
    client = b"weir-marker-reader"
    header = struct.pack(">hhih", 1, 4, correlation, len(client)) + client
    request = header + body
    sock.sendall(struct.pack(">i", len(request)) + request)
    size = struct.unpack(">i", read_exactly(sock, 4))[0]
    response = read_exactly(sock, size)
    position = 4 + 4  # correlation id, throttle time
    (topics,) = struct.unpack_from(">i", response, position)
    position += 4
    for _ in range(topics):
        (name_length,) = struct.unpack_from(">h", response, position)
        position += 2 + name_length
        (partitions,) = struct.unpack_from(">i", response, position)
        position += 4
        for _ in range(partitions):
            index, error, high_watermark, _last_stable = struct.unpack_from(">ihqq", response, position)
            position += 4 + 2 + 8 + 8
            (aborted,) = struct.unpack_from(">i", response, position)
            position += 4 + max(aborted, 0) * 16
            (length,) = struct.unpack_from(">i", response, position)
            position += 4
            records = response[position:position + max(length, 0)]
            position += max(length, 0)
            if index == partition:
                return error, high_watermark, records
    raise RuntimeError("the fetch response has no data for the partition")


def varint(data, position):
    shift, value = 0, 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    return (value >> 1) ^ -(value & 1), position


def records_of(payload, count):
    """(offset delta, key, value) of each record in an uncompressed records section."""
    position, records = 0, []
    for _ in range(count):
        length, position = varint(payload, position)
        end = position + length
        position += 1  # attributes
        _, position = varint(payload, position)  # timestamp delta
        offset_delta, position = varint(payload, position)
        key_length, position = varint(payload, position)
        key = payload[position:position + key_length] if key_length >= 0 else None
        position += max(key_length, 0)
        value_length, position = varint(payload, position)
        value = payload[position:position + value_length] if value_length >= 0 else None
        records.append((offset_delta, key, value))
        position = end
    return records


def batches(data):
    """Yields (base offset, last offset, producer id, transactional, control, records) per whole batch."""
    position = 0
    while position + 12 <= len(data):
        base_offset, length = struct.unpack_from(">qi", data, position)
        if position + 12 + length > len(data):
            return  # cut at the fetch's byte limit
        batch = data[position:position + 12 + length]
        position += 12 + length
        magic = batch[16]
        if magic != 2:
            raise RuntimeError(f"record batch format {magic} at offset {base_offset} is not supported")
        attributes, last_offset_delta = struct.unpack_from(">hi", batch, 21)
        producer_id, = struct.unpack_from(">q", batch, 43)
        count, = struct.unpack_from(">i", batch, 57)
        payload = batch[61:]
        codec = attributes & 0x07
        if codec == 1:
            payload = zlib.decompress(payload, 16 + zlib.MAX_WBITS)
        elif codec != 0:
            raise RuntimeError(f"compression codec {codec} at offset {base_offset} is not supported by this reader")
        yield (base_offset, base_offset + last_offset_delta, producer_id, bool(attributes & 0x10), bool(attributes & 0x20),
               records_of(payload, count))


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    topic, partition = sys.argv[2], int(sys.argv[3])
    sock = socket.create_connection((host, int(port)), timeout=30)
    offset, correlation = 0, 0
    pending = {}  # producer id -> [(offset, value)] waiting for its marker
    committed = []
    while True:
        correlation += 1
        error, high_watermark, data = fetch(sock, correlation, topic, partition, offset)
        if error != 0:
            raise RuntimeError(f"fetch of {topic}-{partition} at {offset}: error code {error}")
        if offset >= high_watermark:
            break
        moved = False
        for base, last, producer, transactional, control, records in batches(data):
            if last < offset:
                continue
            moved = True
            offset = last + 1
            if control:
                key = records[0][1]
                kind = struct.unpack_from(">hh", key, 0)[1]  # version, type: 0 abort, 1 commit
                held = pending.pop(producer, [])
                if kind == 1:
                    committed += held
            elif transactional:
                pending.setdefault(producer, []).extend((base + delta, value) for delta, _, value in records)
            else:
                committed += [(base + delta, value) for delta, _, value in records]
        if not moved:
            raise RuntimeError(f"no whole batch at offset {offset} of {topic}-{partition} fits in a fetch")
    for record_offset, value in sorted(committed, key=lambda item: item[0]):
        print(json.dumps({"offset": record_offset, "value": None if value is None else value.decode()}))
    open_records = sum(len(held) for held in pending.values())
    print(f"{topic}-{partition}: {len(committed)} committed records, {open_records} in transactions without a marker",
          file=sys.stderr)


if __name__ == "__main__":
    main()
