"""Interop checks with the real Python fedora-messaging library (run by fedora-messaging.test.ts).

consume: the library's own blocking consumer (api.consume) declares and binds a queue, receives
         messages, looks their class up from the fedora_messaging_schema header (entry points of
         the installed schema packages), validates them (invalid ones are nacked, never delivered)
         and hands them to our callback, which also validates fedimg.* bodies against the
         generated JSON Schema files. Prints one JSON object per received message.
publish: publishes an AwsPublishedV1 message with api.publish, the reference our TypeScript
         publisher is compared with.
"""
import argparse
import json
import os
import signal
import sys
import tempfile


def write_config(amqp_url, topic_prefix):
    fd, path = tempfile.mkstemp(suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write(f'amqp_url = "{amqp_url}"\n')
        f.write('publish_exchange = "amq.topic"\n')
        f.write(f'topic_prefix = "{topic_prefix}"\n')
    os.environ["FEDORA_MESSAGING_CONF"] = path
    return path


def consume(args):
    write_config(args.amqp_url, "")
    import jsonschema
    from fedora_messaging import api, message
    from fedora_messaging.exceptions import HaltConsumer

    out = []

    def callback(msg):
        schema_name = msg._headers.get("fedora_messaging_schema")
        entry = {
            "class": f"{type(msg).__module__}:{type(msg).__name__}",
            "topic": msg.topic,
            "id": msg.id,
            "severity": msg.severity,
            "priority": msg.priority,
            "summary": msg.summary,
            "headers": msg._headers,
            "properties": {
                "content_type": msg._properties.content_type,
                "content_encoding": msg._properties.content_encoding,
                "delivery_mode": msg._properties.delivery_mode,
                "message_id": msg._properties.message_id,
                "priority": msg._properties.priority,
            },
            "body": msg.body,
            "usernames_from_headers": sorted(
                k[len("fedora_messaging_user_"):] for k in msg._headers if k.startswith("fedora_messaging_user_")
            ),
        }
        # The library validated with the class's schema before calling us; validate again
        # explicitly so a pass cannot come from a fallback to the base Message class.
        msg.validate()
        entry["validated_by_class"] = True
        if args.schema_dir and schema_name and type(msg) is message.Message:
            with open(os.path.join(args.schema_dir, f"{schema_name}.json")) as f:
                schema = json.load(f)
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            cls(schema, format_checker=cls.FORMAT_CHECKER).validate(msg.body)
            entry["validated_by_json_schema"] = schema["$id"]
        out.append(entry)
        if len(out) >= args.count:
            raise HaltConsumer(exit_code=0)

    def timeout(*_):
        print(json.dumps({"error": f"timed out after {args.timeout}s with {len(out)} message(s)", "messages": out}))
        os._exit(3)

    signal.signal(signal.SIGALRM, timeout)
    signal.alarm(args.timeout)
    bindings = [{"exchange": "amq.topic", "queue": args.queue, "routing_keys": args.binding}]
    queues = {args.queue: {"durable": False, "auto_delete": True, "exclusive": False, "arguments": {}}}
    try:
        api.consume(callback, bindings=bindings, queues=queues)
    except HaltConsumer:
        pass
    print(json.dumps({"messages": out}))
    sys.stdout.flush()
    os._exit(0)


def publish(args):
    write_config(args.amqp_url, args.topic_prefix)
    from fedora_messaging import api
    from fedora_image_uploader_messages import AwsPublishedV1

    msg = AwsPublishedV1(body=json.loads(args.body))
    if args.topic:
        msg.topic = args.topic
    api.publish(msg)
    print(json.dumps({"id": msg.id, "topic": msg.topic, "headers": msg._headers}))
    sys.stdout.flush()
    os._exit(0)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--amqp-url", required=True)
    sub = p.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("consume")
    c.add_argument("--queue", required=True)
    c.add_argument("--binding", action="append", required=True)
    c.add_argument("--count", type=int, default=1)
    c.add_argument("--schema-dir")
    c.add_argument("--timeout", type=int, default=30)
    u = sub.add_parser("publish")
    u.add_argument("--topic-prefix", required=True)
    u.add_argument("--topic")
    u.add_argument("--body", required=True)
    args = p.parse_args()
    consume(args) if args.mode == "consume" else publish(args)


if __name__ == "__main__":
    main()
