"""MCAP files of ROS 2 messages, laid out as rosbag2 writes them.

`McapBagWriter` stores CDR bytes exactly as they came off DDS (a raw subscription:
nothing is deserialized or re-encoded), under the `ros2` profile with one `ros2msg`
schema per type, so `ros2 bag info/play` and Foxglove open the file. The run's
facts (robot, policy, ...) go into a metadata record named "legkit".
`read_messages` decodes a file with mcap's own ROS 2 decoder, which relies on the
stored definitions only, as any outside tool would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from legkit_ros.msg_definitions import message_definition, type_name

METADATA_NAME = "legkit"


class McapBagWriter:
    """Channels for (topic, type), and messages as serialized CDR bytes."""

    def __init__(self, path: Path, metadata: dict[str, str] | None = None) -> None:
        from mcap.writer import Writer

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self.path, "wb")
        self._writer = Writer(self._stream)
        self._writer.start(profile="ros2", library="legkit")
        if metadata:
            self._writer.add_metadata(METADATA_NAME, {k: str(v) for k, v in metadata.items()})
        self._schemas: dict[type, int] = {}
        self._sequence: Counter[int] = Counter()
        self.counts: Counter[str] = Counter()
        """Messages written per topic."""
        self._topics: dict[int, str] = {}
        self._closed = False

    def add_topic(self, topic: str, msg_type: type) -> int:
        """Register a topic; returns the channel id to `write` with."""
        if msg_type not in self._schemas:
            self._schemas[msg_type] = self._writer.register_schema(
                name=type_name(msg_type),
                encoding="ros2msg",
                data=message_definition(msg_type).encode(),
            )
        channel = self._writer.register_channel(
            topic=topic, message_encoding="cdr", schema_id=self._schemas[msg_type]
        )
        self._topics[channel] = topic
        return channel

    def write(self, channel: int, data: bytes, time_ns: int) -> None:
        """One serialized message, received at `time_ns` (ns since the epoch)."""
        if self._closed:
            return
        self._sequence[channel] += 1
        self._writer.add_message(
            channel_id=channel,
            log_time=time_ns,
            data=data,
            publish_time=time_ns,
            sequence=self._sequence[channel],
        )
        self.counts[self._topics[channel]] += 1

    def close(self) -> None:
        """Write the summary and close; a file not closed keeps its data but no index."""
        if not self._closed:
            self._closed = True
            self._writer.finish()
            self._stream.close()


def read_metadata(path: Path) -> dict[str, str]:
    """The "legkit" metadata record of a recording ({} if it has none)."""
    from mcap.reader import make_reader

    with open(path, "rb") as stream:
        for record in make_reader(stream).iter_metadata():
            if record.name == METADATA_NAME:
                return dict(record.metadata)
    return {}


def read_messages(path: Path, topics: list[str] | None = None) -> Iterator[tuple[str, object, int]]:
    """(topic, decoded message, log time [ns]) in log-time order."""
    from mcap_ros2.reader import read_ros2_messages

    for item in read_ros2_messages(str(path), topics=topics):
        yield item.channel.topic, item.ros_msg, item.log_time_ns
